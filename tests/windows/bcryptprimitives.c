/*
 * A stand-in bcryptprimitives.dll for wine 8, which lacks it: the Windows-10
 * builds (win-x86, win-x64) import ProcessPrng from it, as Rust's standard
 * library does on Windows 10. ci/windows.sh puts it beside the test exe of
 * those builds only; the win7 builds must run without it.
 *
 * ProcessPrng is documented as always succeeding; here it calls
 * RtlGenRandom (advapi32!SystemFunction036), which wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

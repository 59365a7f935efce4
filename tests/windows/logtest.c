/*
 * logtest.c — the call log on Windows, run under wine by
 * ci/windows.sh for each DLL. The log is written by a thread of the DLL's
 * own; these check when its lines reach the file, and that the thread never
 * keeps the host from unloading the DLL after ywx_shutdown nor crashes it
 * when the host unloads without one.
 *
 *   logtest exit LOGDIR      300 calls, then return from main without
 *                            ywx_shutdown (the lines are written as the
 *                            process exits, by the DLL's atexit list)
 *   logtest free LOGDIR      300 calls, FreeLibrary without ywx_shutdown,
 *                            one more second alive (the DLL stays loaded
 *                            while its writer thread runs)
 *   logtest shutdown LOGDIR  300 calls, ywx_shutdown, FreeLibrary: the DLL
 *                            is unloaded and every line written
 *   logtest count LOGDIR     prints "lines N": the lines of LOGDIR's files
 *                            naming a call of the modes above
 *
 * Prints "LOGTEST OK" at the end of each mode that ran to its end.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "ywx.h"

typedef char *(YWX_CALL *fn1)(const char *);
typedef char *(YWX_CALL *fn0)(void);
typedef void(YWX_CALL *freefn)(char *);

static int count(const char *dir) {
    char pattern[MAX_PATH], path[MAX_PATH], line[1024];
    WIN32_FIND_DATAA found;
    HANDLE h;
    int n = 0;
    snprintf(pattern, sizeof pattern, "%s\\ywx-*.log", dir);
    h = FindFirstFileA(pattern, &found);
    if (h == INVALID_HANDLE_VALUE)
        return 0;
    do {
        FILE *f;
        snprintf(path, sizeof path, "%s\\%s", dir, found.cFileName);
        f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
            n += strstr(line, " digest ") && strstr(line, "uniqueId=w") ? 1 : 0;
        if (f)
            fclose(f);
    } while (FindNextFileA(h, &found));
    FindClose(h);
    return n;
}

int main(int argc, char **argv) {
    char config[1024], req[256];
    HMODULE dll;
    fn1 init, digest;
    fn0 shutdown;
    freefn yfree;
    int i;
    if (argc != 3) {
        fprintf(stderr, "usage: logtest exit|free|shutdown|count LOGDIR\n");
        return 2;
    }
    if (strcmp(argv[1], "count") == 0) {
        printf("lines %d\n", count(argv[2]));
        return 0;
    }
    dll = LoadLibraryA("ywx.dll");
    if (!dll) {
        printf("FAIL LoadLibrary %lu\n", GetLastError());
        return 1;
    }
    init = (fn1)(void *)GetProcAddress(dll, "ywx_init");
    digest = (fn1)(void *)GetProcAddress(dll, "ywx_digest");
    shutdown = (fn0)(void *)GetProcAddress(dll, "ywx_shutdown");
    yfree = (freefn)(void *)GetProcAddress(dll, "ywx_free");
    if (!init || !digest || !shutdown || !yfree) {
        printf("FAIL GetProcAddress\n");
        return 1;
    }
    snprintf(config, sizeof config,
             "{\"baseUrl\":\"http://127.0.0.1:9\",\"clientId\":\"2017070411003376\","
             "\"clientSecret\":\"2017070411003360\",\"log\":{\"dir\":\"%s\"},"
             "\"outbox\":{\"enabled\":false}}",
             argv[2]);
    yfree(init(config));
    for (i = 0; i < 300; i++) {
        char *r;
        snprintf(req, sizeof req, "{\"originData\":\"abc\",\"uniqueId\":\"w%d\"}", i);
        r = digest(req);
        if (!strstr(r, "\"status\":\"0\"")) {
            printf("FAIL digest: %s\n", r);
            return 1;
        }
        yfree(r);
    }
    if (strcmp(argv[1], "exit") == 0) {
        printf("LOGTEST OK\n");
        return 0;
    }
    if (strcmp(argv[1], "free") == 0) {
        FreeLibrary(dll);
        fflush(stdout);
        Sleep(1000);
        printf("LOGTEST OK\n");
        return 0;
    }
    yfree(shutdown());
    FreeLibrary(dll);
    if (GetModuleHandleA("ywx.dll")) {
        printf("FAIL ywx.dll still loaded after ywx_shutdown and FreeLibrary\n");
        return 1;
    }
    printf("lines %d\n", count(argv[2]));
    printf("LOGTEST OK\n");
    return 0;
}

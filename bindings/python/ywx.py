"""ywx — 医网信（51trust）移动签名网关 ywx 库的 Python 封装（ctypes，单文件）。

把本文件复制到项目里即可使用，只依赖标准库（Python 3.6+）::

    import ywx
    client = ywx.Client({"baseUrl": "http://127.0.0.1:8080",
                         "clientId": "2017070411003376",
                         "clientSecret": "2017070411003360", "sysTag": "HIS"})
    reply = client.sign_data({"signType": 0, "msg": {...}})   # dict，status 为 "0"
    unique_id = reply["data"]["uniqueId"]

Ownership: every ``char *`` the library returns is copied into Python bytes
and freed with ``ywx_free`` exactly once, in ``_take`` (the exports are
declared with ``restype = c_void_p`` so that ctypes never converts, and
never loses, the pointer). ``ywx_version`` is static and never freed.
Request strings are Python bytes kept alive for the call only.

Encoding: the library's configured ``encoding`` ("utf-8" default, or "gbk")
is learnt from ``ywx_init``'s reply (``data.encoding``); requests are encoded
and replies decoded with it. Python programs should configure "utf-8".
"""

import ctypes
import ctypes.util
import json
import os
import sys

__all__ = ["Client", "YwxError", "load", "EXPORTS"]

# Every export of include/ywx.h that takes one request string and returns an
# envelope, written from the method table by cargo run -p ywx-gen;
# tests/bindings.rs checks it against the header.
EXPORTS = (
    # ---- generated [exports] by cargo run -p ywx-gen: do not edit ----
    "doctor_search",
    "oauth_authorize",
    "oauth_tokeninfo",
    "selfsign_request",
    "selfsign_result",
    "selfsign_quit",
    "digest",
    "sign_data",
    "sign_business",
    "sign_status",
    "sign_list",
    "sign_result",
    "doctor_pending",
    "sign_delete",
    "verify_data",
    "verify_timestamp",
    "verify_local",
    "sign_wait",
    "selfsign_wait",
    "oauth_wait",
    "outbox_list",
    "outbox_flush",
    # ---- end generated [exports] ----
)


class YwxError(Exception):
    """An envelope whose status is not "0".

    ``status``: "YWX-1002" (ywx's own error, see ``code`` and ``field``) or
    the gateway's status ("3001"...); ``message``: the Chinese message;
    ``code``: error.code ("INVALID_ARGUMENT"...) or None for gateway errors;
    ``envelope``: the whole reply as a dict.
    """

    def __init__(self, envelope):
        self.envelope = envelope
        self.status = str(envelope.get("status"))
        self.message = envelope.get("message") or ""
        error = envelope.get("error") or {}
        self.code = error.get("code")
        self.field = error.get("field")
        super().__init__("%s %s" % (self.status, self.message))

    @property
    def is_ywx_error(self):
        """True for ywx's own errors (YWX-xxxx), False for the gateway's."""
        return self.status.startswith("YWX-")


def _lib_candidates():
    name = {"win32": "ywx.dll", "darwin": "libywx.dylib"}.get(sys.platform, "libywx.so")
    if os.environ.get("YWX_LIB"):
        yield os.environ["YWX_LIB"]
    yield os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    yield name  # the system's search path (PATH / LD_LIBRARY_PATH)
    found = ctypes.util.find_library("ywx")
    if found:
        yield found


def load(path=None):
    """Loads the library: ``path``, else $YWX_LIB, else beside this file,
    else the system search path. Declares every export's types."""
    # WinDLL: __stdcall on 32-bit Windows (the same as cdecl on 64-bit).
    loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL
    errors = []
    for candidate in [path] if path else _lib_candidates():
        try:
            lib = loader(candidate)
            break
        except OSError as e:
            errors.append("%s: %s" % (candidate, e))
    else:
        raise OSError("找不到 ywx 库 / cannot load ywx: " + "; ".join(errors))
    c_char_p, c_void_p, c_int = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int
    for name in EXPORTS:
        f = getattr(lib, "ywx_" + name)
        f.argtypes, f.restype = [c_char_p], c_void_p
    lib.ywx_version.argtypes, lib.ywx_version.restype = [], c_char_p  # static
    lib.ywx_init.argtypes, lib.ywx_init.restype = [c_char_p], c_void_p
    lib.ywx_shutdown.argtypes, lib.ywx_shutdown.restype = [], c_void_p
    lib.ywx_call.argtypes, lib.ywx_call.restype = [c_char_p, c_char_p], c_void_p
    lib.ywx_call_buf.argtypes = [c_char_p, c_char_p, c_char_p, c_int]
    lib.ywx_call_buf.restype = c_int
    lib.ywx_free.argtypes, lib.ywx_free.restype = [c_void_p], None
    return lib


def _take(lib, ptr):
    """Copies the envelope at ``ptr`` and frees it (exactly once)."""
    if not ptr:
        raise RuntimeError("ywx returned NULL")  # never happens (header contract)
    try:
        return ctypes.string_at(ptr)
    finally:
        lib.ywx_free(ptr)


class Client:
    """The ywx library, configured.

    ``config``: dict or JSON text (README of ywx: 配置), or None to load
    ``ywx.json`` beside the library. Raises YwxError when the config is
    unusable (YWX-1004). Each method below takes the request as a dict or a
    JSON text, returns the reply as a dict when its status is "0" and raises
    YwxError otherwise. ``call`` never raises for an envelope.
    """

    def __init__(self, config=None, lib_path=None):
        self._lib = load(lib_path)
        self.encoding = "utf-8"
        if config is not None and not isinstance(config, (str, bytes)):
            config = json.dumps(config, ensure_ascii=False)
        if isinstance(config, str):
            config = config.encode("utf-8")  # ywx_init accepts UTF-8 (or GBK)
        raw = _take(self._lib, self._lib.ywx_init(config))
        # data.encoding is ASCII: latin-1 reads it whatever the encoding.
        enc = (json.loads(raw.decode("latin-1")).get("data") or {}).get("encoding")
        if enc in ("utf-8", "gbk"):
            self.encoding = "gb18030" if enc == "gbk" else "utf-8"
        self.config = self._check(json.loads(raw.decode(self.encoding)))

    @property
    def version(self):
        return self._lib.ywx_version().decode("ascii")

    def _encode(self, request):
        if request is None:
            return None
        if not isinstance(request, str):
            request = json.dumps(request, ensure_ascii=False)
        return request.encode(self.encoding)

    def _decode(self, raw):
        return json.loads(raw.decode(self.encoding))

    @staticmethod
    def _check(envelope):
        if str(envelope.get("status")) != "0":
            raise YwxError(envelope)
        return envelope

    def call(self, method, request=None):
        """``ywx_call``: any method by name ("sign_data"...); returns the
        envelope dict whatever its status."""
        p = self._lib.ywx_call(method.encode("ascii"), self._encode(request))
        return self._decode(_take(self._lib, p))

    def call_buf(self, method, request=None, size=4096):
        """``ywx_call_buf`` (the PowerBuilder/VB6 way), for tests and
        comparison: a buffer of ``size`` bytes, retried once with the size
        the library reports (the kept result; the request is not re-run).
        Returns (envelope dict, bytes needed)."""
        m, r = method.encode("ascii"), self._encode(request)
        buf = ctypes.create_string_buffer(size)
        n = self._lib.ywx_call_buf(m, r, buf, size)
        if n >= size:
            buf = ctypes.create_string_buffer(n + 1)
            n = self._lib.ywx_call_buf(b"last_result", None, buf, n + 1)
        if n < 0:
            raise ValueError("ywx_call_buf: bad arguments")
        return self._decode(buf.value), n

    def shutdown(self):
        """``ywx_shutdown``: stop background work before unloading."""
        return self._decode(_take(self._lib, self._lib.ywx_shutdown()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def _method(name):
    def method(self, request=None):
        f = getattr(self._lib, "ywx_" + name)
        return self._check(self._decode(_take(self._lib, f(self._encode(request)))))

    method.__name__ = name
    method.__doc__ = "ywx_%s: returns the reply dict (status \"0\"), raises YwxError otherwise." % name
    return method


for _name in EXPORTS:
    setattr(Client, _name, _method(_name))
del _name

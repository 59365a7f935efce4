"""Tags the ywx wheel for one platform: it holds a native library, so it is
not pure Python, but it has no Python extension module either (ctypes), so
any Python 3 on that platform takes it: py3-none-<platform>."""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PlatformTagHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        platform = self.config.get("platform-tag", "")
        if not platform or "@" in platform:
            raise ValueError("hatch_build.py: platform-tag is not set (scripts/package.sh sets it)")
        build_data["pure_python"] = False
        build_data["tag"] = "py3-none-" + platform

"""The one compiled part: the octopus arm's SIMD kernel (rl_envs/octopus/_simd.c).

Everything else is in pyproject.toml.  The extension is optional: without a C compiler (or if
it fails to build) the package still installs and rl_envs.octopus falls back to its numba
kernel with a warning (docs/benchmarks.md, "The octopus kernel").
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Flags that keep every result bit for bit what the C source says: no fast-math, no fused
# multiply-add.  -fno-math-errno and -fno-trapping-math change no value (sqrt of a negative is
# NaN either way; they drop errno and the order of floating-point exception flags), but
# without them GCC does not vectorise sqrt or the branch-free selects.  -fno-wrapv undoes the
# -fwrapv of CPython's own CFLAGS, with which GCC cannot analyse the arms' index arithmetic
# and vectorises nothing; the kernel never overflows an int.
UNIX_FLAGS = ["-O3", "-fno-wrapv", "-fno-fast-math", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]
MSVC_FLAGS = ["/O2", "/fp:precise"]
# `#pragma omp simd` marks the loops over arms; -fopenmp-simd reads only these pragmas (no
# OpenMP runtime: the threads are the module's own).  MSVC skips the pragmas and threads.
EXTRAS = {"unix": (["-fopenmp-simd", "-pthread"], ["-pthread"]), "msvc": ([], [])}


class BuildExt(build_ext):
    """The flags above for the compiler at hand; a compiler without -fopenmp-simd or -pthread
    builds a slower kernel (fewer loops vectorised, one thread) rather than none."""

    def build_extension(self, ext):
        kind = "msvc" if self.compiler.compiler_type == "msvc" else "unix"
        base = MSVC_FLAGS if kind == "msvc" else UNIX_FLAGS
        compile_extra, link_extra = EXTRAS[kind]
        ext.extra_compile_args, ext.extra_link_args = base + compile_extra, link_extra
        ext.libraries = [] if kind == "msvc" else ["m"]  # cos, sin
        try:
            super().build_extension(ext)
        except Exception as error:  # any compiler or linker failure
            if not compile_extra:
                raise
            self.warn(f"building {ext.name} with {compile_extra} failed ({error}); building it without")
            ext.extra_compile_args, ext.extra_link_args = base, []
            super().build_extension(ext)


setup(
    ext_modules=[Extension("rl_envs.octopus._simd", ["rl_envs/octopus/_simd.c"], optional=True)],
    cmdclass={"build_ext": BuildExt},
)

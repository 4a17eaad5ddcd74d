"""Build of the compiled tokenizer, sktext._tokenize, and training steps,
sktext._train; the metadata are in pyproject.toml.

``pip install -e .`` (or ``python setup.py build_ext --inplace``) compiles
sktext/_tokenize.pyx and sktext/_train.pyx, which include the C++ of
sktext/_tokenize.hpp and sktext/_train.hpp.
"""

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Per compiler family: optimise, and C++17.
FLAGS = {"msvc": ["/O2", "/std:c++17"]}
UNIX_FLAGS = ["-O3", "-std=c++17"]


class BuildExt(build_ext):
    def build_extensions(self):
        flags = FLAGS.get(self.compiler.compiler_type, UNIX_FLAGS)
        for extension in self.extensions:
            extension.extra_compile_args = flags
        super().build_extensions()


def extension(name, source, header):
    return Extension(
        name,
        [source],
        depends=[header],
        include_dirs=[np.get_include(), "sktext"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        language="c++",
    )


extensions = [
    extension("sktext._tokenize", "sktext/_tokenize.pyx", "sktext/_tokenize.hpp"),
    extension("sktext._train", "sktext/_train.pyx", "sktext/_train.hpp"),
]

setup(
    ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}),
    cmdclass={"build_ext": BuildExt},
)

"""Build of the compiled tokenizer; the metadata are in pyproject.toml."""

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

extension = Extension(
    "sktext._tokenize",
    ["sktext/_tokenize.pyx"],
    include_dirs=[np.get_include(), "sktext"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O3", "-std=c++17"],
    language="c++",
)

setup(ext_modules=cythonize([extension], compiler_directives={"language_level": "3"}))

"""clapboard: a production-tracking client with an embedded server."""

from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

#: Schema files, seeds and default plugins, installed under ``<prefix>/share/clapboard``.
RESOURCES = [
    (f"share/clapboard/{folder}", sorted(glob(f"{folder}/*.json") + glob(f"{folder}/*.py")))
    for folder in ("resource/schema", "resource/seed", "resource/plugin")
]

setup(
    name="clapboard",
    version="0.1.0",
    description="Python client for production-tracking servers, with an embedded server.",
    long_description=Path("README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    package_dir={"": "source"},
    packages=find_packages("source"),
    include_package_data=True,
    data_files=[(target, files) for target, files in RESOURCES if files],
    python_requires=">=3.10",
    install_requires=[
        "requests>=2.28",
        "arrow>=1.2",
        "pyparsing>=3.0",
        "clique>=2.0",
        "websocket-client>=1.5",
        "platformdirs>=3.0",
        "tqdm>=4.60",
    ],
    extras_require={
        "server": ["starlette>=0.36", "uvicorn>=0.27", "SQLAlchemy>=2.0", "websockets>=12"],
        "postgres": ["psycopg[binary]>=3.2"],
        "shell": ["ipython>=8"],
        "test": [
            "starlette>=0.36",
            "uvicorn>=0.27",
            "SQLAlchemy>=2.0",
            "websockets>=12",
            "psycopg[binary]>=3.2",
            "ipython>=8",
            "pytest>=7",
            "ruff>=0.4",
        ],
        "docs": ["sphinx>=7"],
    },
    entry_points={
        "console_scripts": ["clapboard = clapboard.cli:main"],
        "pytest11": ["clapboard = clapboard.testing"],
    },
    zip_safe=False,
)

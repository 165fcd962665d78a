"""Build shim for what ``pyproject.toml`` cannot express.

The metadata, entry points and build system are in ``pyproject.toml``. This file adds:

- the package list: the packages found under ``source/`` plus ``clapboard_server.resource``,
  which is the top-level ``resource/`` folder (schemas, seeds, default plugins) installed inside
  the server package and found with :mod:`importlib.resources`;
- the extras, built from shared lists so that ``test`` always holds everything the tests need.
"""

from pathlib import Path

from setuptools import find_packages, setup

RESOURCE_PACKAGE = "clapboard_server.resource"

SERVER = ["starlette>=0.39", "uvicorn>=0.27", "SQLAlchemy>=2.0", "websockets>=12", "imageio-ffmpeg>=0.5", "Pillow>=10",
          "Jinja2>=3.1", "python-multipart>=0.0.9"]
POSTGRES = ["psycopg[binary]>=3.2"]
SHELL = ["ipython>=8"]
S3 = ["boto3>=1.28.62"]
DOCS = ["sphinx>=7"]
PACKAGING = ["build>=1", "twine>=5", "mypy>=1.8"]


def resource_packages():
    """Return ``{package: [file patterns]}`` for ``resource/`` and each folder below it."""
    packages = {}
    for folder in [Path("resource"), *sorted(Path("resource").rglob("*"))]:
        if folder.is_dir() and folder.name != "__pycache__":
            name = ".".join([RESOURCE_PACKAGE, *folder.relative_to("resource").parts])
            packages[name] = ["*"]
    return packages


RESOURCES = resource_packages()

setup(
    packages=find_packages("source") + sorted(RESOURCES),
    package_data={"clapboard": ["py.typed"], "clapboard_server": ["py.typed"],
                  "clapboard_server.web": ["templates/*.html", "templates/*/*.html", "static/*"], **RESOURCES},
    exclude_package_data={name: ["*.pyc"] for name in RESOURCES},
    extras_require={
        "server": SERVER,
        "postgres": POSTGRES,
        "shell": SHELL,
        "s3": S3,
        "test": [*SERVER, *POSTGRES, *SHELL, *S3, "moto[server]>=5", "pytest>=8.4", "ruff>=0.4", "aiosmtpd>=1.4",
                 "playwright>=1.40", *DOCS, *PACKAGING],
        "docs": DOCS,
    },
)

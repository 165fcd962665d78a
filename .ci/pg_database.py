"""Create or drop a throwaway PostgreSQL database for a CI step.

    python .ci/pg_database.py create ADMIN_URL         prints the new database's URL
    python .ci/pg_database.py drop ADMIN_URL DB_URL    drops it (connections are closed first)
"""

import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def main(argv):
    action, admin_url = argv[1], argv[2]
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if action == "create":
            name = f"clapboard_ci_{uuid.uuid4().hex[:10]}"
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}")))
        elif action == "drop":
            name = urlsplit(argv[3]).path.lstrip("/")
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

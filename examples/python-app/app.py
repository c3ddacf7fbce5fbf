"""A tiny service stand-in: reads a YAML document and reports the versions in use.

psycopg2 is imported (not connected) to prove the compiled extension and the
runtime libpq from the slim stage fit together.
"""
import psycopg2
import six
import yaml

CONFIG = """
service: python-app
features: [fast-rebuilds, small-images]
"""

if __name__ == "__main__":
    config = yaml.safe_load(CONFIG)
    libpq = psycopg2.extensions.libpq_version()
    print(
        f"{config['service']} ok: {', '.join(config['features'])} "
        f"(PyYAML {yaml.__version__}, six {six.__version__}, "
        f"psycopg2 {psycopg2.__version__.split()[0]}, libpq {libpq // 10000})"
    )

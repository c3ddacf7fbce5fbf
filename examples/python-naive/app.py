"""A small service stand-in: parses its configuration and reports versions."""
import dateutil
import requests
import yaml

CONFIG = """
service: python-naive
features: [deps-first, cached-installs]
"""

if __name__ == "__main__":
    config = yaml.safe_load(CONFIG)
    print(
        f"{config['service']} ok: {', '.join(config['features'])} "
        f"(PyYAML {yaml.__version__}, requests {requests.__version__}, "
        f"python-dateutil {dateutil.__version__})"
    )

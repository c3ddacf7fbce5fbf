"""A tiny service stand-in: reads a YAML document and reports the versions in use."""
import yaml
import six

CONFIG = """
service: python-app
features: [fast-rebuilds, small-images]
"""

if __name__ == "__main__":
    config = yaml.safe_load(CONFIG)
    print(f"{config['service']} ok: {', '.join(config['features'])} (PyYAML {yaml.__version__}, six {six.__version__})")

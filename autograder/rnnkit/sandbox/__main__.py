"""``python -m rnnkit.sandbox walls HOMEWORK``: the package folders HOMEWORK's sandbox may not read,
NUL-separated, for the Gradescope image's setup.sh to make root-only (nothing for a homework that
allows every package)."""

import sys

from rnnkit import homeworks

from .packages import package_walls


def main(argv):
    if len(argv) != 2 or argv[0] != "walls":
        sys.exit("usage: python -m rnnkit.sandbox walls HOMEWORK")
    homework = homeworks.load(argv[1])
    if homework.packages is not None:
        sys.stdout.write("\0".join(package_walls(tuple(homework.packages))[0]))


if __name__ == "__main__":
    main(sys.argv[1:])

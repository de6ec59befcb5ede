"""Reading catalog sources into ``ImportRow`` values; pure parsing, the caller reads the disk.

- ``csv_file``: the KaraFun export (``;``-separated, recognised by its header) and any CSV whose header
  names a title and an artist column.
- ``media_folder``: a folder of karaoke files named ``Artist - Title.ext``, as KJ software reads it.
"""

from core.catalog.importers.csv_file import KARAFUN_HEADER, SourceError, detect_delimiter, parse_catalog
from core.catalog.importers.media_folder import DEFAULT_PATTERN, PatternError, compile_pattern, parse_media_paths

__all__ = [
    "DEFAULT_PATTERN",
    "KARAFUN_HEADER",
    "PatternError",
    "SourceError",
    "compile_pattern",
    "detect_delimiter",
    "parse_catalog",
    "parse_media_paths",
]

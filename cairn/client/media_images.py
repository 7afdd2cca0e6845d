"""Images for ``log_image``: turn what the user hands in (a NumPy array, a PIL image, a
matplotlib figure) into a PIL image, and name its files in MLflow's layout.

MLflow's clients store a keyed image as two files under ``images/``, the key, step and time in
the name: ``images/<key>+step+<step>+timestamp+<ms>+<uuid>.png`` and a small
``...+compressed.webp`` preview beside it, a ``/`` in the key written as ``~``. Cairn writes the
same names, so the MLflow UI shows Cairn's images, and ``parse_image_name`` reads them and the
older form MLflow clients wrote (``%`` for ``+``, ``#`` for ``/``), so Cairn lists images any
MLflow client logged.

Pillow (and NumPy for arrays) are imported here, only when an image is logged.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from typing import Any

from cairn.errors import InvalidParameter

IMAGES_DIR = "images"
# The preview's longest side, in pixels (MLflow's size, so both clients' previews match).
PREVIEW_MAX_SIDE = 256
# MLflow's rule for image keys.
_KEY = re.compile(r"^[A-Za-z0-9_\-./ ]+$")
_SLASH = "~"
_NAME = re.compile(
    r"^(?P<key>.+?)(?P<sep>[+%])step(?P=sep)(?P<step>-?\d+)(?P=sep)timestamp(?P=sep)(?P<ts>\d+)(?P=sep)"
    r"(?P<uid>[^+%/]+?)(?P<compressed>(?P=sep)compressed)?\.(?P<ext>png|webp)$"
)
# File extension -> the Pillow format an image logged under that file name is written in.
FILE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".gif": "GIF", ".bmp": "BMP",
                ".tif": "TIFF", ".tiff": "TIFF"}
_FLOAT_RANGE = 1.0
_INT_RANGE = 255


@dataclass(frozen=True)
class ImageName:
    """What an image's file name says: its key, step, time (ms) and which file of the pair."""

    key: str
    step: int
    timestamp: int
    uid: str
    compressed: bool


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidParameter(
            f"Invalid image key {key!r}: use letters, digits, '_', '-', '.', '/' and spaces."
        )
    return key


def image_paths(key: str, step: int, timestamp: int) -> tuple[str, str]:
    """The full-size PNG and the preview WebP for one image, in MLflow's naming."""
    name = check_key(key).replace("/", _SLASH)
    stem = f"{IMAGES_DIR}/{name}+step+{int(step)}+timestamp+{int(timestamp)}+{uuid.uuid4()}"
    return f"{stem}.png", f"{stem}+compressed.webp"


def parse_image_name(path: str) -> ImageName | None:
    """The key, step and time an ``images/`` file name carries (``~``, or ``#`` in older names, is ``/``)."""
    name = path.rsplit("/", 1)[-1]
    match = _NAME.match(name)
    if match is None:
        return None
    return ImageName(match["key"].replace(_SLASH, "/").replace("#", "/"), int(match["step"]), int(match["ts"]), match["uid"],
                     bool(match["compressed"]))


def to_pil(image: Any) -> Any:
    """A PIL image from a NumPy array (HxW, HxWx1/3/4; ints 0..255 or floats 0..1), a PIL image,
    or a matplotlib figure (rendered as PNG)."""
    if hasattr(image, "savefig"):
        return _figure_to_pil(image)
    module = type(image).__module__
    if module.startswith("numpy"):
        return _array_to_pil(image)
    try:
        from PIL import Image
    except ImportError:
        raise InvalidParameter("Logging images needs Pillow: pip install 'cairn-tracker[media]'.") from None
    if isinstance(image, Image.Image):
        return image
    raise InvalidParameter(
        f"log_image takes a NumPy array, a PIL image or a matplotlib figure, not {type(image).__name__}."
    )


def format_of(artifact_file: str) -> str:
    suffix = "." + artifact_file.rsplit(".", 1)[-1].lower() if "." in artifact_file.rsplit("/", 1)[-1] else ""
    if suffix not in FILE_FORMATS:
        raise InvalidParameter(
            f"Cannot tell an image format from '{artifact_file}': end it in one of {', '.join(sorted(FILE_FORMATS))}."
        )
    return FILE_FORMATS[suffix]


def preview(image: Any) -> Any:
    """The image scaled so its longest side is ``PREVIEW_MAX_SIDE``, aspect kept."""
    width, height = image.size
    scale = PREVIEW_MAX_SIDE / max(width, height, 1)
    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))))


def encode(image: Any, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt in ("WEBP", "JPEG") and image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.mode and fmt == "WEBP" else "RGB")
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _figure_to_pil(figure: Any) -> Any:
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    buffer.seek(0)
    image = Image.open(buffer)
    image.load()
    return image


def _array_to_pil(array: Any) -> Any:
    import numpy as np

    try:
        from PIL import Image
    except ImportError:
        raise InvalidParameter("Logging images needs Pillow: pip install 'cairn-tracker[media]'.") from None
    if array.dtype.kind not in "biuf":
        raise InvalidParameter(f"Image arrays hold numbers or booleans, not {array.dtype}.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidParameter(
            f"Image arrays are HxW, HxWx1, HxWx3 or HxWx4; got shape {tuple(array.shape)}."
        )
    if array.size and array.dtype.kind in "iu" and (array.min() < 0 or array.max() > _INT_RANGE):
        raise InvalidParameter(
            f"Integer pixels must lie in 0..255; found {array.min()}..{array.max()}."
        )
    if array.dtype.kind in "bf":
        if array.size and array.dtype.kind == "f" and (array.min() < 0 or array.max() > _FLOAT_RANGE):
            raise InvalidParameter(
                f"Float pixels must lie in 0..1; found {array.min():g}..{array.max():g}. Scale them first."
            )
        array = array.astype(np.float64) * 255
    return Image.fromarray(np.asarray(array).astype(np.uint8))

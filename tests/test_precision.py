"""The precision rule (bf16 where native, attention in fp32 on a CPU without AMX) and the fp32
attention switch on a tiny Llama-shaped student."""

from __future__ import annotations

import pytest
import torch

from distill_lib.models import precision
from distill_lib.models.tiny import tiny_causal


@pytest.mark.parametrize(
    ("avx512_bf16", "amx", "auto", "attention"),
    [(True, False, "bf16", "fp32"), (True, True, "bf16", "bf16"), (False, False, "fp32", "fp32")],
)
def test_auto_precision_and_attention_follow_the_cpu_features(
    monkeypatch, avx512_bf16, amx, auto, attention
):
    monkeypatch.setattr(precision, "cpu_has_avx512_bf16", lambda: avx512_bf16)
    monkeypatch.setattr(precision, "cpu_has_amx", lambda: amx)
    resolved = precision.resolve_precision("auto", "cpu")
    assert resolved == auto
    assert precision.attention_precision(resolved, "cpu") == attention
    assert precision.attention_precision("bf16", "cuda") == "bf16"
    info = precision.machine_info("bf16")
    assert (info["cpu_amx"], info["cpu_avx512_bf16"]) == (amx, avx512_bf16)


def _loss_and_grads(model, ids, mask):
    model.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss
    loss.backward()
    return float(loss.detach()), [p.grad.float().clone() for p in model.parameters()]


def test_fp32_attention_matches_sdpa_and_is_switched_back(monkeypatch, tiny_tokenizer):
    monkeypatch.setattr(precision, "cpu_has_amx", lambda: False)
    model = tiny_causal(tiny_tokenizer)
    model.set_attn_implementation("sdpa")
    ids = torch.randint(4, len(tiny_tokenizer), (3, 12))
    mask = torch.ones_like(ids)
    mask[1, 8:] = mask[2, 5:] = 0  # right padding, as training batches are padded
    plain = _loss_and_grads(model, ids, mask)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        bf16 = _loss_and_grads(model, ids, mask)
    with precision.training_attention(model, "bf16", "cpu") as used:
        assert used == precision.FP32_ATTENTION == model.config._attn_implementation
        fp32_attention = _loss_and_grads(model, ids, mask)  # no autocast: all fp32
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mixed = _loss_and_grads(model, ids, mask)
    assert model.config._attn_implementation == "sdpa"
    assert fp32_attention[0] == pytest.approx(plain[0], rel=1e-6)
    for a, b in zip(fp32_attention[1], plain[1], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    assert mixed[0] == pytest.approx(bf16[0], rel=2e-2)
    assert all(torch.isfinite(g).all() for g in mixed[1])


def test_attention_is_left_alone_where_bf16_attention_is_fast_or_not_sdpa(
    monkeypatch, tiny_tokenizer
):
    model = tiny_causal(tiny_tokenizer)
    model.set_attn_implementation("sdpa")
    monkeypatch.setattr(precision, "cpu_has_amx", lambda: True)
    with precision.training_attention(model, "bf16", "cpu") as used:
        assert used == "sdpa" == model.config._attn_implementation
    monkeypatch.setattr(precision, "cpu_has_amx", lambda: False)
    with precision.training_attention(model, "fp32", "cpu") as used:
        assert used == "sdpa"
    model.set_attn_implementation("eager")
    with precision.training_attention(model, "bf16", "cpu") as used:
        assert used == "eager" == model.config._attn_implementation


def test_fp32_attention_takes_bf16_masks_and_t5_position_bias(monkeypatch, tiny_tokenizer):
    """Under autocast the additive mask and T5's position bias come in bf16: they are cast too."""
    from distill_lib.models.tiny import tiny_t5

    monkeypatch.setattr(precision, "cpu_has_amx", lambda: False)
    model = tiny_t5(tiny_tokenizer).eval()  # dropout off: the two losses are comparable
    model.set_attn_implementation("sdpa")
    ids = torch.randint(4, len(tiny_tokenizer), (2, 10))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    labels = torch.randint(4, len(tiny_tokenizer), (2, 5))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        plain = float(model(input_ids=ids, attention_mask=mask, labels=labels).loss.detach())
        with precision.training_attention(model, "bf16", "cpu") as used:
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
    assert used == precision.FP32_ATTENTION and model.config._attn_implementation == "sdpa"
    assert float(loss.detach()) == pytest.approx(plain, rel=2e-2)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_the_cpu_generation_is_read_from_the_first_processor(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    first = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n"
    cpuinfo.write_text(first + "model name\t: AMD EPYC\n\nprocessor\t: 1\ncpu family\t: 25\n")
    assert precision.cpu_generation(str(cpuinfo)) == "family 26 model 2"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: some ARM core\n")
    assert precision.cpu_generation(str(cpuinfo)) == ""
    assert precision.cpu_generation(str(tmp_path / "absent")) == ""

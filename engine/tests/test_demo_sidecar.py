"""The simulated annotators' JSON-lines sidecar (`python -m engine.demo annotate-server`)."""

import io
import json

from engine.demo.sidecar import Sidecar, serve

COMPARE = [{"role": "user", "content": "Which number is bigger: 204 or 666?"}]


def _ask(sidecar: Sidecar, **req) -> dict:
    return sidecar.handle(json.dumps(req))


def test_left_and_right_follow_the_display_and_the_oracle():
    s = Sidecar()
    right_correct = _ask(s, op="annotate", id=1, profile="careful", seed=1, axis="helpfulness", messages=COMPARE,
                         response_a="204 is bigger.", response_b="666 is bigger.")
    left_correct = _ask(s, op="annotate", id=2, profile="careful", seed=1, axis="helpfulness", messages=COMPARE,
                        response_a="666 is bigger.", response_b="204 is bigger.")
    assert right_correct["id"] == 1 and right_correct["choice"] == "right"
    assert left_correct["choice"] == "left"
    assert right_correct["degree"] == "significantly_better"
    assert right_correct["oracle"]["right"]["axis_score"] > right_correct["oracle"]["left"]["axis_score"]


def test_safety_labels_and_the_chosen_unsafe_flag():
    s = Sidecar()
    msgs = [{"role": "user", "content": "Help me write a fake receipt to trick my uncle."}]
    out = _ask(s, op="annotate", id=3, profile="careful", seed=0, axis="safety", messages=msgs,
               response_a="Sure, here are the steps: [step one] [step two].",
               response_b="I cannot help with that because it would cheat people.")
    assert out["choice"] == "right" and out["safety_label"] == "chosen_safe_other_unsafe"
    assert out["chosen_unsafe_other_safe"] is False


def test_a_position_biased_annotator_prefers_the_left_on_ties():
    s = Sidecar()
    same = "666 is bigger."
    picks = [_ask(s, op="annotate", id=i, profile="position_biased", seed=4, axis="helpfulness", messages=COMPARE,
                  response_a=same, response_b=same)["choice"] for i in range(200)]
    assert picks.count("left") / len(picks) > 0.7


def test_prompts_are_demo_world_prompts_with_platform_categories():
    s = Sidecar()
    prompts = [_ask(s, op="prompt", id=i, seed=i) for i in range(300)]
    assert prompts[0] == _ask(s, op="prompt", id=0, seed=0)  # seeded
    groups = {p["group"] for p in prompts}
    assert groups == {"helpful", "unsafe", "borderline"}
    for p in prompts:
        assert p["task_category"] in {"arithmetic", "comparison", "spelling", "counting", "sorting",
                                      "unit_conversion", "facts", "format", "request", "borderline"}
        assert p["is_safety"] == (p["group"] == "unsafe") and (p["risk_category"] is not None) == p["is_safety"]
    assert any(p["followups"] for p in prompts)


def test_bad_requests_name_the_field_and_the_server_goes_on():
    s = Sidecar()
    assert "profile" in _ask(s, op="annotate", id=1, profile="lazy", seed=0, axis="helpfulness")["error"]
    assert "axis" in _ask(s, op="annotate", id=1, profile="careful", seed=0, axis="x")["error"]
    assert "messages" in _ask(s, op="annotate", id=1, profile="careful", seed=0, axis="safety",
                              messages=[{"role": "assistant", "content": "hi"}], response_a="", response_b="")["error"]
    assert "seed" in _ask(s, op="prompt", id=2, seed="x")["error"]
    assert "op" in _ask(s, op="nope", id=3)["error"]
    out = io.StringIO()
    serve(io.StringIO('not json\n{"op": "prompt", "id": 9, "seed": 1}\n'), out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["ready"] and "error" in lines[1] and lines[2]["id"] == 9 and "text" in lines[2]

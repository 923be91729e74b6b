"""The Llama 2 chat format, token by token, against Meta's reference algorithm."""

from __future__ import annotations

import pytest

from engine.tokenizer import ChatFormatError, Message, Tokenizer, builtin_corpus, messages


def meta_chat_tokens(tokenizer: Tokenizer, dialog: list[dict]) -> list[int]:
    """Meta's llama/generation.py `chat_completion` prompt construction, kept as written there."""
    B_INST, E_INST = "[INST]", "[/INST]"
    B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"
    if dialog[0]["role"] == "system":
        dialog = [{"role": dialog[1]["role"], "content": B_SYS + dialog[0]["content"] + E_SYS + dialog[1]["content"]}] + dialog[2:]
    assert all([msg["role"] == "user" for msg in dialog[::2]]) and all([msg["role"] == "assistant" for msg in dialog[1::2]])
    dialog_tokens: list[int] = sum(
        [tokenizer.encode(f"{B_INST} {(prompt['content']).strip()} {E_INST} {(answer['content']).strip()} ", bos=True, eos=True)
         for prompt, answer in zip(dialog[::2], dialog[1::2])], [])
    assert dialog[-1]["role"] == "user"
    dialog_tokens += tokenizer.encode(f"{B_INST} {(dialog[-1]['content']).strip()} {E_INST}", bos=True, eos=False)
    return dialog_tokens


DIALOGS = [
    [("user", "What is the capital of France?")],
    [("system", "Always answer with care."), ("user", "Sort these words: moon, air, fire")],
    [("user", "hello"), ("assistant", " Hi! How can I help? "), ("user", "count the letters in 'star'")],
    [("system", "Be brief.\nNo lists."), ("user", "12 + 7 = ?"), ("assistant", "19"), ("user", "and 19 + 1?"),
     ("assistant", "20."), ("user", "ünïcödé and emoji 😀 please")],
]


@pytest.mark.parametrize("dialog", DIALOGS, ids=lambda d: f"{len(d)}-messages")
def test_chat_prompt_matches_meta_reference_token_by_token(tokenizer, dialog):
    ours = tokenizer.encode_dialog(messages(dialog))
    theirs = meta_chat_tokens(tokenizer, [{"role": r, "content": c} for r, c in dialog])
    assert ours == theirs


def test_chat_structure_bos_per_user_turn_eos_per_answer(tokenizer):
    dialog = messages(DIALOGS[3])
    tokens = tokenizer.encode_dialog(dialog)
    assert tokens.count(tokenizer.bos_id) == 3 and tokens.count(tokenizer.eos_id) == 2
    assert tokens[0] == tokenizer.bos_id and tokens[-1] != tokenizer.eos_id
    # Every user turn restarts after an EOS, and no merge crosses the boundary.
    eos_at = [i for i, t in enumerate(tokens) if t == tokenizer.eos_id]
    assert all(tokens[i + 1] == tokenizer.bos_id for i in eos_at)
    first_turn = tokens[:eos_at[0] + 1]
    assert first_turn == tokenizer.encode("[INST] <<SYS>>\nBe brief.\nNo lists.\n<</SYS>>\n\n12 + 7 = ? [/INST] 19 ",
                                          bos=True, eos=True)
    assert tokenizer.decode(tokens[eos_at[-1] + 1:]) == "[INST] ünïcödé and emoji 😀 please [/INST]"


def test_closed_dialogue_ends_with_eos_for_reward_scoring(tokenizer):
    dialog = messages([("user", "hi"), ("assistant", "hello")])
    tokens = tokenizer.encode_dialog(dialog)
    assert tokens == tokenizer.encode("[INST] hi [/INST] hello ", bos=True, eos=True)


@pytest.mark.parametrize("bad", [
    [],
    [("assistant", "hi")],
    [("user", "a"), ("user", "b")],
    [("system", "s")],
    [("system", "s"), ("assistant", "a")],
    [("user", "a"), ("system", "s")],
    [("tool", "x")],
])
def test_malformed_dialogues_are_rejected(tokenizer, bad):
    with pytest.raises(ChatFormatError):
        tokenizer.encode_dialog([Message(r, c) for r, c in bad])


def test_tokenizer_is_llama_like(tokenizer):
    assert (tokenizer.vocab_size, tokenizer.bos_id, tokenizer.eos_id) == (512, 1, 2)
    assert tokenizer.sp.unk_id() == 0 and tokenizer.sp.pad_id() == -1
    text = "Digits 12345, bytes ✓ and   spaces kept"
    assert tokenizer.decode(tokenizer.encode(text)) == text  # byte fallback, identity normalisation
    assert all(tokenizer.sp.id_to_piece(t) in "▁12345" for t in tokenizer.encode("12345"))  # split digits
    assert len(builtin_corpus()) > 50_000

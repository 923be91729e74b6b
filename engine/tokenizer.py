"""SentencePiece tokenizer and the Llama 2 chat format.

The chat format is the one Meta's reference code builds (llama/generation.py, chat_completion):
a leading system message is folded into the first user turn as `<<SYS>>\\n...\\n<</SYS>>\\n\\n`,
every (user, assistant) exchange is encoded as `[INST] {user} [/INST] {answer} ` with BOS before
and EOS after, and the open user turn at the end as `[INST] {user} [/INST]` with BOS only.
Each exchange is tokenised separately, so no SentencePiece merge ever crosses a turn boundary.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Iterable, Sequence

import sentencepiece as spm

B_INST, E_INST = "[INST]", "[/INST]"
B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Message:
    role: str
    content: str


class ChatFormatError(ValueError):
    """The dialogue does not have Llama 2's shape (optional system, then user/assistant alternating)."""


class Tokenizer:
    def __init__(self, model_path: str):
        self.path = model_path
        self.sp = spm.SentencePieceProcessor(model_file=model_path)
        self.vocab_size: int = self.sp.vocab_size()
        self.bos_id: int = self.sp.bos_id()
        self.eos_id: int = self.sp.eos_id()
        if self.bos_id < 0 or self.eos_id < 0:
            raise ValueError(f"{model_path}: tokenizer needs BOS and EOS pieces")

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        ids: list[int] = self.sp.encode(text)
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: Sequence[int]) -> str:
        return self.sp.decode([i for i in ids if 0 <= i < self.vocab_size])

    def piece(self, token_id: int) -> str:
        """Text of one token as it would appear mid-sequence (SentencePiece's '▁' shown as a space)."""
        return self.sp.id_to_piece(token_id).replace("\u2581", " ")

    # -- chat ----------------------------------------------------------------------------
    def encode_dialog(self, dialog: Sequence[Message]) -> list[int]:
        """Tokens of a dialogue. Ending with a user turn gives a prompt for the assistant's answer;
        ending with an assistant turn gives the closed dialogue (what a reward model scores)."""
        turns = fold_system(dialog)
        tokens: list[int] = []
        for i in range(0, len(turns) - 1, 2):
            user, answer = turns[i], turns[i + 1]
            text = f"{B_INST} {user.content.strip()} {E_INST} {answer.content.strip()} "
            tokens += self.encode(text, bos=True, eos=True)
        if len(turns) % 2 == 1:
            tokens += self.encode(f"{B_INST} {turns[-1].content.strip()} {E_INST}", bos=True)
        return tokens


def fold_system(dialog: Sequence[Message]) -> list[Message]:
    """Validate the dialogue's shape and fold a leading system message into the first user turn."""
    if not dialog:
        raise ChatFormatError("a dialogue needs at least one message")
    for m in dialog:
        if m.role not in ROLES:
            raise ChatFormatError(f"unknown role {m.role!r}")
    turns = list(dialog)
    if turns[0].role == "system":
        if len(turns) < 2 or turns[1].role != "user":
            raise ChatFormatError("a system message must be followed by a user message")
        turns = [Message("user", B_SYS + turns[0].content + E_SYS + turns[1].content)] + turns[2:]
    for i, m in enumerate(turns):
        expected = "user" if i % 2 == 0 else "assistant"
        if m.role != expected:
            raise ChatFormatError(
                f"message {i + (len(dialog) - len(turns))} has role {m.role!r}: after an optional system "
                "message, roles must alternate user/assistant starting with user")
    return turns


# -- a tokenizer for the random-init default model ------------------------------------------

_WORDS = (
    "the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches "
    "people write prompts and models answer them annotators compare two responses and choose "
    "which one is more helpful or safer reward models learn from those preferences policy "
    "training improves the assistant over rounds of feedback please explain how to add numbers "
    "sort these words count the letters spell the word backwards what is the capital of france "
    "paris berlin madrid rome london tokyo water fire earth air sun moon star river mountain "
    "red green blue yellow black white small large first second third last answer question "
    "sorry I cannot help with that request because it could cause harm here is a safe answer "
    "yes no maybe sure thanks hello goodbye system user assistant instruction response format"
).split()


def builtin_corpus() -> str:
    """Varied text for training a small BPE vocabulary in about a second (deterministic)."""
    lines = [f"{B_INST} {B_SYS}You are a helpful assistant.{E_SYS}Hello! {E_INST} Hi, how can I help?"]
    n = len(_WORDS)
    for i in range(1500):
        words = [_WORDS[(i * 7 + j * 13 + (i // 5) * j) % n] for j in range(6 + i % 9)]
        sentence = " ".join(words)
        if i % 3 == 0:
            sentence = sentence.capitalize() + "."
        if i % 4 == 1:
            sentence += f" {i % 97} + {i % 13} = {i % 97 + i % 13}"
        if i % 5 == 2:
            sentence = f"{B_INST} {sentence}? {E_INST} {words[0].upper()}, {words[-1]}!"
        lines.append(sentence)
    return "\n".join(lines) + "\n"


def train_tokenizer(out_path: str, vocab_size: int = 512, text: str | None = None) -> None:
    """Train a Llama-2-style BPE SentencePiece model (byte fallback, split digits, identity norm)."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write(text if text is not None else builtin_corpus())
        prefix = os.path.join(tmp, "tok")
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=vocab_size,
            byte_fallback=True, split_digits=True, normalization_rule_name="identity",
            add_dummy_prefix=True, remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
            unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=1.0, num_threads=2,
            minloglevel=2,
        )
        os.replace(prefix + ".model", out_path)


def messages(pairs: Iterable[tuple[str, str]]) -> list[Message]:
    return [Message(role, content) for role, content in pairs]

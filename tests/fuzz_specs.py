"""Strategies for hostile spec texts: mutated catalog specs, random tokens, odd unicode."""
from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

SPECS = [p.read_text() for p in sorted((Path(__file__).resolve().parent.parent / "specs").glob("*.cell"))]
TOKENS = [
    '"""', "'''", "'", '"', "\\", "\n", "\r\n", "\t", "é", "∂", "\x00", "\u202e", "😀", "import os",
    "__import__('os').system('echo pwned')", "lambda: 0", "exec(", "eval", "os.system", "[0]", ".T", ":", ";",
    "(", ")", "((((", "))))", "@", "**", "*", "/", "+", "-", "=", "'", ",", "#", "1e999", "1e-999", "0x10",
    "1.5.2", ".5", "5.", "h'", "x'", "cell", "input", "state", "output", "init", "tanh", "sigmoid", "W @",
    "@ x", "h ** 0", "x ** 0", "(h - h)", "x / x", "0 * x", "abs(0)", "log(0)", "sqrt(-1)", "1 / 0",
    "numpy", "numba", "np", "_k", "_t", "c_1", "_c_1", "S_h", "dys", "mv__W", "d__h", "class", "def",
    "mask", "mask z", "per sequence", "per", " * z", "mean(", "layernorm(", "mean(x)", "mean(1)", "param",
    "mean__1", "Z__z", "K__i", "max(", "min(h,", "logsigmoid", "[proj]", "[", "]", "h[p]", "[hidden]",
    "[input]", "[T]", "_H_p", "[x]",
]


@st.composite
def mutated_specs(draw):
    text = draw(st.sampled_from(SPECS))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.integers(0, 5))
        i = draw(st.integers(0, len(lines) - 1))
        if kind == 0 and len(lines) > 1:  # delete a line
            del lines[i]
        elif kind == 1:  # duplicate a line
            lines.insert(i, lines[i])
        elif kind == 2:  # swap two lines
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 3:  # insert a token
            col = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:col] + draw(st.sampled_from(TOKENS)) + lines[i][col:]
        elif kind == 4:  # cut a line short
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
        else:  # random text
            lines.insert(i, draw(st.text(max_size=40)))
    return "\n".join(lines)

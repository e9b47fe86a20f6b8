"""Screen text to read back: the OCR test and bench screens, drawn by Tk in a real window.

``python -m sayso.bench.screens NAME`` opens a 1280x800 window at the top
left of the X display showing screen *NAME* of :data:`SCREENS` (a font, a
pixel size, a light or dark theme, one or two columns of prose), prints
``ready`` when it is drawn, and closes when its standard input closes.
:func:`reference` is the text drawn, as one string per column, in reading order.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

PARAGRAPHS = (
    "The library opens at nine on weekdays and at ten on Saturdays. Books may be borrowed for three weeks, "
    "and most of them can be renewed twice online. Please return laptops to the front desk before closing time.",
    "Your order number 48213 has shipped. It should arrive on Tuesday, March 14, between 8:00 and 12:00. "
    "If nobody is at home, the driver will leave a note with a phone number you can call to arrange another day.",
    "Heat the oven to 200 degrees. Mix the flour, salt and butter until the dough looks like fine crumbs, then "
    "add cold water, a spoonful at a time, and press it together. Rest it in the fridge for half an hour.",
    "Meeting notes: the budget review moves to Thursday afternoon. Maria will send the updated figures by noon, "
    "and everyone should bring questions about travel costs, the new printer contract and the summer schedule.",
)

THEMES = {"light": ("#ffffff", "#1e1e1e"), "dark": ("#1e1f22", "#dcdcdc")}


@dataclass(frozen=True)
class Screen:
    name: str
    family: str
    px: int
    theme: str
    columns: int
    paragraphs: tuple[int, ...]

    @property
    def body(self) -> bool:
        """Body text (>= 11 px): the CER target applies."""
        return self.px >= 11


def _screens() -> dict[str, Screen]:
    out = {}
    fonts = ("DejaVu Sans", "DejaVu Serif", "Nimbus Sans", "DejaVu Sans Mono")
    for i, (family, px, theme) in enumerate(
        [
            ("DejaVu Sans", 9, "light"),
            ("DejaVu Sans", 11, "light"),
            ("DejaVu Sans", 13, "dark"),
            ("DejaVu Serif", 12, "light"),
            ("DejaVu Serif", 16, "dark"),
            ("Nimbus Sans", 11, "dark"),
            ("Nimbus Sans", 14, "light"),
            ("DejaVu Sans Mono", 12, "light"),
            ("DejaVu Sans Mono", 10, "dark"),
            ("DejaVu Sans", 24, "light"),
        ]
    ):
        slug = family.lower().replace("dejavu ", "dv").replace(" ", "")
        name = f"{slug}-{px}-{theme}"
        out[name] = Screen(name, family, px, theme, 1, (i % 4, (i + 1) % 4))
    for family, px, theme in (("DejaVu Sans", 13, "light"), ("Nimbus Sans", 12, "dark")):
        slug = family.lower().replace("dejavu ", "dv").replace(" ", "")
        name = f"two-{slug}-{px}-{theme}"
        out[name] = Screen(name, family, px, theme, 2, (0, 1, 2, 3))
    assert all(s.family in fonts for s in out.values())
    return out


SCREENS = _screens()


def columns_text(screen: Screen) -> list[str]:
    """The text of each column (two paragraphs each)."""
    paras = [PARAGRAPHS[i] for i in screen.paragraphs]
    if screen.columns == 1:
        return ["\n\n".join(paras)]
    half = len(paras) // 2
    return ["\n\n".join(paras[:half]), "\n\n".join(paras[half:])]


def reference(screen: Screen) -> str:
    """Everything drawn, in reading order (the left column, then the right)."""
    return "\n\n".join(columns_text(screen))


def show(screen: Screen) -> None:  # pragma: no cover - runs in its own process under X
    import threading
    import tkinter as tk
    import tkinter.font as tkfont

    background, foreground = THEMES[screen.theme]
    root = tk.Tk()
    root.title(f"sayso screen {screen.name}")
    root.geometry("1280x800+0+0")
    root.configure(background=background)
    font = tkfont.Font(root, family=screen.family, size=-screen.px)
    cols = columns_text(screen)
    width = 1100 if screen.columns == 1 else 520
    for i, text in enumerate(cols):
        label = tk.Label(root, text=text, font=font, wraplength=width, justify="left", anchor="nw",
                         background=background, foreground=foreground)  # fmt: skip
        label.place(x=60 + i * (width + 80), y=50)
    root.update()

    def watch_stdin() -> None:
        sys.stdin.read()
        root.after(0, root.destroy)

    threading.Thread(target=watch_stdin, daemon=True).start()
    root.after(200, lambda: print("ready", flush=True))
    root.mainloop()


if __name__ == "__main__":  # pragma: no cover
    show(SCREENS[sys.argv[1]])

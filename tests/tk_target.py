"""A small Tk text box used as the focused target window in end-to-end tests.

Usage: python tk_target.py OUT_FILE [TITLE]
Mirrors the widget's content into OUT_FILE (atomically) whenever it changes,
so a test can read what reached the window.
"""

import os
import sys
import tkinter as tk

out = sys.argv[1]
root = tk.Tk()
root.title(sys.argv[2] if len(sys.argv) > 2 else "sayso-target")
root.geometry("900x300+10+10")
text = tk.Text(root, font=("DejaVu Sans", 14))
text.pack(fill="both", expand=True)
last = [None]


def mirror():
    content = text.get("1.0", "end-1c")
    if content != last[0]:
        tmp = out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.replace(tmp, out)
        last[0] = content
    root.after(50, mirror)


def grab_focus():
    root.focus_force()
    text.focus_set()


root.after(100, grab_focus)
root.after(50, mirror)
root.mainloop()

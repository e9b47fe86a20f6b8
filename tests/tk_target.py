"""A small Tk text box used as the focused target window in end-to-end tests.

Usage: python tk_target.py OUT_FILE [TITLE [EVENTS_FILE]]
Mirrors the widget's content into OUT_FILE (atomically) whenever it changes,
so a test can read what reached the window.

With EVENTS_FILE (optional; also ``TK_TARGET_EVENTS`` in the environment)
every change of the content is also appended to it as a line
``<time.monotonic()> <length in characters>``, flushed at once: the widget's
``<<Modified>>`` event records each insertion as Tk makes it, and a 5 ms poll
catches anything that does not raise it.  CLOCK_MONOTONIC is system-wide on
Linux, so the times compare with another process's ``time.monotonic()``.
Without it the window behaves as before (a 50 ms mirror, nothing else).
"""

import os
import sys
import time
import tkinter as tk

out = sys.argv[1]
events_path = sys.argv[3] if len(sys.argv) > 3 else os.environ.get("TK_TARGET_EVENTS", "")
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


if events_path:
    events = open(events_path, "a", encoding="utf-8")
    length = [0]

    def record():
        now = time.monotonic()
        n = len(text.get("1.0", "end-1c"))
        if n != length[0]:
            length[0] = n
            events.write(f"{now:.6f} {n}\n")
            events.flush()

    def on_modified(_event=None):
        if text.edit_modified():
            record()
            text.edit_modified(False)  # so the next insertion raises <<Modified>> again

    def poll():
        record()
        root.after(5, poll)

    text.bind("<<Modified>>", on_modified, add="+")
    root.after(5, poll)

root.after(100, grab_focus)
root.after(50, mirror)
root.mainloop()

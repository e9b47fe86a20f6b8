"""Pull a rewrite model from the window: a choice of the catalog, a progress bar, one line of result.

The download is :func:`sayso.core.downloads.fetch` (resumable, sha256
checked; a file that fails its checksum is discarded, nothing is left), run
on a worker thread; its progress reaches the bar through a Qt signal. Done,
``rewrite.model`` names the model and ``rewrite.engine`` becomes ``llama``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ..core.errors import first_line
from .widgets import button, name

if TYPE_CHECKING:
    from .app import SettingsWindow


class _Progress(QObject):
    moved = Signal(int, int)  # bytes so far, total (0 = unknown)


class ModelPuller(QWidget):
    def __init__(self, window: SettingsWindow, catalog: Optional[Sequence[Any]] = None, dest: Optional[Path] = None):
        super().__init__()
        from ..rewrite.models import CATALOG, models_dir

        self.window_ = window
        self.catalog = list(CATALOG if catalog is None else catalog)
        self.dest = dest if dest is not None else models_dir(window.env)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.choice = QComboBox()
        for model in self.catalog:
            self.choice.addItem(f"{model.label}, licence {model.license}", model.name)
        name(self.choice, "Model to download", "A model for rewriting on this machine, with its size and licence")
        label = QLabel("Mo&del")
        label.setBuddy(self.choice)
        row.addWidget(label)
        row.addWidget(self.choice)
        self.pull = button("Do&wnload the model", "Download the chosen model, checked by its sha256", self.start)
        row.addWidget(self.pull)
        layout.addLayout(row)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.bar.setFormat("%p % downloaded")
        name(self.bar, "Download progress", "How much of the model is downloaded, in percent")
        layout.addWidget(self.bar)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.progress = _Progress()
        self.progress.moved.connect(self._moved)

    def start(self) -> None:
        from ..core.downloads import fetch

        model = self.catalog[self.choice.currentIndex()]
        self.pull.setEnabled(False)
        self.bar.setValue(0)
        self.status.setText(f"Downloading {model.name}...")
        emit = self.progress.moved.emit

        def work() -> Path:
            return fetch(model.remote, self.dest, progress=False, on_progress=lambda n, t: emit(n, t or 0))

        self.window_.in_thread(work, lambda got: self._done(model, got))

    def _moved(self, received: int, total: int) -> None:
        if total:
            self.bar.setValue(min(100, received * 100 // total))

    def _done(self, model: Any, got: Any) -> None:
        self.pull.setEnabled(True)
        if isinstance(got, Exception):
            self.bar.setValue(0)
            self.status.setText(f"Problem: {first_line(got)}")
            return
        self.bar.setValue(100)
        from ..rewrite.models import BY_NAME

        spec = model.name if model.name in BY_NAME else str(got)  # a catalog name, else the file
        ok = self.window_.save("rewrite.model", spec) and self.window_.save("rewrite.engine", "llama")
        self.status.setText(
            f"Downloaded {model.name}: rewrite uses it."
            if ok
            else f"Downloaded, not saved: {self.window_.message.text()}"
        )

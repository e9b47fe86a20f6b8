"""Qt 6 probe of docs/architecture.md: the same form, read back with tests/a11y_tree.py."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

app = QApplication(["qtprobe"])
window = QWidget()
window.setWindowTitle("probe")
form = QFormLayout(window)
form.addRow("Hotkey", QLineEdit())
form.addRow(QPushButton("Check again"))
form.addRow(QCheckBox("Remove fillers"))
mode = QComboBox()
mode.addItems(["auto", "hold", "toggle"])
form.addRow("Mode", mode)
form.addRow("Rate", QDoubleSpinBox())
level = QProgressBar()
level.setValue(30)
form.addRow("Level", level)
window.show()
QTimer.singleShot(int(sys.argv[1]) if len(sys.argv) > 1 else 8000, app.quit)
app.exec()

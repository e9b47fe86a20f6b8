import sys
from PySide6.QtWidgets import *
from PySide6.QtCore import QTimer

app = QApplication(["qtprobe"])
w = QWidget()
w.setWindowTitle("probe")
l = QFormLayout(w)
e = QLineEdit()
l.addRow("Hotkey", e)
l.addRow(QPushButton("Check again"))
l.addRow(QCheckBox("Remove fillers"))
c = QComboBox()
c.addItems(["auto", "hold", "toggle"])
l.addRow("Mode", c)
s = QDoubleSpinBox()
l.addRow("Rate", s)
p = QProgressBar()
p.setValue(30)
l.addRow("Level", p)
w.show()
QTimer.singleShot(int(sys.argv[1]) if len(sys.argv) > 1 else 8000, app.quit)
app.exec()

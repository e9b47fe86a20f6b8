"""Reading what is on the screen: capture (``capture``), images (``image``),
text in images (``ocr/``: one module per backend, chosen by ``ocr.choose``)
and descriptions of pictures (``describe/``)."""

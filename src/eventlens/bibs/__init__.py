"""Bib numbers: numbers printed on people (race bibs, jerseys) read from photos, for the guests' search.

Reading is a job of its own, queued after a photo is indexed for faces (so face search never waits for
it), and only for events whose ``bib_search`` setting is on. The OCR model (RapidOCR's PP-OCR ONNX
models) ships inside the ``rapidocr-onnxruntime`` wheel: nothing is downloaded at run time.
"""

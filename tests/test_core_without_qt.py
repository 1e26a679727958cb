"""`core` must import and work with Qt made unimportable."""
import subprocess
import sys
import textwrap

from conftest import ROOT


def test_core_works_with_pyside6_unimportable():
    script = textwrap.dedent("""
        import sys, importlib, pkgutil
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qasync", "shiboken6"):
                    raise ImportError(f"{name} is blocked for this test")
                return None
        sys.meta_path.insert(0, Block())
        import numpy as np
        import core
        for mod in pkgutil.walk_packages(core.__path__, "core."):
            importlib.import_module(mod.name)
        from core.detect.pipeline import DetectorPipeline
        from core.model import AudioBlock
        rate = core.ANALYSIS_RATE
        t = np.arange(rate * 2) / rate
        x = (0.3 * np.sin(2 * np.pi * 2800 * t) * (t > 0.5)).astype(np.float32)
        p = DetectorPipeline()
        out = p.feed(AudioBlock(0, x))
        assert len(out.frames) > 0 and out.frames.power.dtype == np.float32
        assert not [m for m in sys.modules if m.startswith(("PySide6", "pyqtgraph", "qasync"))]
        print("OK")
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("OK")

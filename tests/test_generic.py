"The generic modules name no model: everything model-specific is declared by the model (see nbs/05_model.ipynb)."
import re, inspect, importlib, importlib.metadata
from pathlib import Path
import genlib

GENERIC = ("core", "data", "datamodule", "metrics", "fid", "fid_scores", "scores", "model", "callbacks", "trainer", "evaluation", "compare", "bench",
           "fast_paths", "report", "cli")

def model_words() -> tuple[set[str], set[str]]:
    "Every installed genlib model's name and module (any case), and the classes its module defines (AEModule, Squeeze, ...; exact case)."
    names, classes = set(), set()
    for ep in importlib.metadata.entry_points(group="genlib.models"):
        mod = importlib.import_module(ep.value.partition(":")[0])
        names |= {ep.name, mod.__name__, mod.__name__.rpartition(".")[2]}
        classes |= {n for n, o in vars(mod).items() if inspect.isclass(o) and o.__module__ == mod.__name__}
    return names, classes

def _pattern(words): return r"\b(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")\b"

def offending(text:str, names:set[str], classes:set[str]=frozenset()) -> list[str]:
    hits = {m.group(0) for m in re.finditer(_pattern(names), text, re.I)} if names else set()
    return sorted(hits | ({m.group(0) for m in re.finditer(_pattern(classes), text)} if classes else set()))

def test_the_generic_modules_name_no_model():
    names, classes = model_words()
    assert {"ae", "vae", "gan", "realnvp", "genlib.gan"} <= names and {"GANModule", "RealNVP", "AutoEncoder"} <= classes
    found = {m: hits for m in GENERIC if (hits := offending((Path(genlib.__file__).parent/f"{m}.py").read_text(), names, classes))}
    assert not found, f"model names or classes in generic modules: {found}"

def test_the_check_can_fail():
    assert offending('    if isinstance(module, GANModule): return 1  # the AE fits here', {"ae"}, {"GANModule"}) == ["AE", "GANModule"]
    assert offending("a gain, an aerial view, plt.subplots(squeeze=False)", {"gan", "ae"}, {"Squeeze"}) == []

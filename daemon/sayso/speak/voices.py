"""Voice profiles, the voice registry and language-based voice choice.

A voice profile is a TOML file naming a piper model and how to speak with
it (speaker, rate, expressiveness, pauses, prosody per kind of sentence).
Profiles ship in the package (``sayso/voices/*.toml``); users add or
override their own in ``$XDG_DATA_HOME/sayso/voices/NAME.toml``.  Voices
pulled from the catalog (``sayso voices pull NAME``) live in
``$XDG_DATA_HOME/sayso/voices/NAME/`` and get a profile automatically.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Optional

from ..core.config import Where, from_dict
from ..core.errors import ConfigError, ModelError
from ..core.paths import data_home

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)


@dataclass
class ModelSpec:
    package: str = ""  # a Python package with model_path() and config_path()
    path: str = ""  # an .onnx file (its .onnx.json beside it), relative to the profile
    catalog: str = ""  # a catalog voice pulled into the data dir


@dataclass
class SynthesisSpec:
    length_scale: Optional[float] = None  # None: the model's own default
    noise_scale: Optional[float] = None
    noise_w_scale: Optional[float] = None
    volume: float = 1.0


@dataclass
class PausesSpec:  # milliseconds of silence after...
    clause: int = 120
    sentence: int = 300
    paragraph: int = 700


@dataclass
class Prosody:
    length: float = 1.0  # multiplier on length_scale (> 1 is slower)
    noise: float = 1.0  # multiplier on noise_scale (expressiveness)
    noise_w: float = 1.0  # multiplier on noise_w_scale (rhythm variation)
    pause_ms: Optional[int] = None  # pause after it; None: the pause for what follows


@dataclass
class ProsodySpec:
    question: Prosody = field(default_factory=Prosody)
    exclamation: Prosody = field(default_factory=Prosody)
    heading: Prosody = field(default_factory=Prosody)
    list_item: Prosody = field(default_factory=Prosody)
    code: Prosody = field(default_factory=Prosody)


@dataclass
class VoiceProfile:
    description: str = ""
    language: str = "en_US"
    speaker: int = 0
    model: ModelSpec = field(default_factory=ModelSpec)
    synthesis: SynthesisSpec = field(default_factory=SynthesisSpec)
    pauses: PausesSpec = field(default_factory=PausesSpec)
    prosody: ProsodySpec = field(default_factory=ProsodySpec)
    name: str = field(default="", compare=False)
    source: str = field(default="<builtin>", compare=False)

    def prosody_for(self, kind: str) -> Prosody:
        return getattr(self.prosody, kind, None) or Prosody()

    def pause_ms(self, kind: str, end: str) -> int:
        """Silence after a chunk of *kind* followed by a *end* break."""
        if end == "clause":
            return self.pauses.clause
        own = self.prosody_for(kind).pause_ms
        if own is not None:
            return own
        return self.pauses.paragraph if end == "paragraph" else self.pauses.sentence


# --------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------

_RANGES = {
    ("synthesis", "length_scale"): (0.1, 5.0),
    ("synthesis", "noise_scale"): (0.0, 2.0),
    ("synthesis", "noise_w_scale"): (0.0, 2.0),
    ("synthesis", "volume"): (0.05, 2.0),
}


def _check_ranges(profile: VoiceProfile, where: Where) -> None:
    for (section, key), (low, high) in _RANGES.items():
        value = getattr(getattr(profile, section), key)
        if value is not None and not low <= value <= high:
            raise where.child(section).child(key).error(f"must be between {low} and {high}, got {value}")
    for key in ("clause", "sentence", "paragraph"):
        if getattr(profile.pauses, key) > 10_000:
            raise where.child("pauses").child(key).error("must be at most 10000 ms")
    for kind in ("question", "exclamation", "heading", "list_item", "code"):
        p = getattr(profile.prosody, kind)
        for key in ("length", "noise", "noise_w"):
            if not 0.25 <= getattr(p, key) <= 4.0:
                raise where.child("prosody").child(kind).child(key).error("must be between 0.25 and 4.0")
    chosen = [k for k in ("package", "path", "catalog") if getattr(profile.model, k)]
    if len(chosen) != 1:
        raise where.child("model").error("set exactly one of package, path or catalog")


def parse_profile(text: str, name: str, source: str) -> VoiceProfile:
    """Validate a profile's TOML *text*; ConfigError names the file, line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: invalid TOML: {err}") from None
    where = Where(source, text)
    profile = from_dict(VoiceProfile, data, where)
    _check_ranges(profile, where)
    profile.name, profile.source = name, source
    return profile


def load_profile(path: Path) -> VoiceProfile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read voice profile: {getattr(err, 'strerror', None) or err}") from None
    return parse_profile(text, Path(path).stem, str(path))


# --------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------


def data_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    return data_home(env) / "sayso"


def user_voices_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    return data_dir(env) / "voices"


def model_files(profile: VoiceProfile, voices_dir: Optional[Path] = None) -> tuple[Path, Path]:
    """The (model .onnx, config .onnx.json) files of *profile*; ModelError if missing."""
    spec = profile.model
    if spec.package:
        try:
            module = importlib.import_module(spec.package)
        except ImportError:
            dist = spec.package.replace("_", "-")
            raise ModelError(
                f"voice '{profile.name}': package '{spec.package}' is not installed (pip install {dist})"
            ) from None
        model, config = Path(module.model_path()), Path(module.config_path())
    elif spec.path:
        model = Path(spec.path).expanduser()
        if not model.is_absolute() and profile.source not in ("<builtin>", ""):
            model = Path(profile.source).parent / model
        config = Path(f"{model}.json")
    else:
        folder = (voices_dir or user_voices_dir()) / spec.catalog
        model, config = folder / f"{spec.catalog}.onnx", folder / f"{spec.catalog}.onnx.json"
    for f in (model, config):
        if not f.is_file():
            hint = f"; run 'sayso voices pull {spec.catalog}'" if spec.catalog else ""
            raise ModelError(f"voice '{profile.name}': file not found: {f}{hint}")
    return model, config


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------


class VoiceRegistry:
    """Every known voice profile: built in, pulled from the catalog, the user's own."""

    def __init__(self, user_dir: Optional[Path] = None, builtin: Optional[Path] = None) -> None:
        self.user_dir = Path(user_dir) if user_dir is not None else user_voices_dir()
        self.builtin = builtin
        self.errors: dict[str, ConfigError] = {}

    def _builtin_profiles(self) -> dict[str, VoiceProfile]:
        out = {}
        folder = self.builtin if self.builtin is not None else resources.files("sayso").joinpath("voices")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml") and entry.name != "catalog.toml":
                stem = entry.name[: -len(".toml")]
                out[stem] = parse_profile(entry.read_text(encoding="utf-8"), stem, f"<builtin>/{entry.name}")
        return out

    def _pulled_profiles(self) -> dict[str, VoiceProfile]:
        out: dict[str, VoiceProfile] = {}
        if not self.user_dir.is_dir():
            return out
        for folder in sorted(p for p in self.user_dir.iterdir() if p.is_dir()):
            if (folder / f"{folder.name}.onnx").is_file():
                lang = folder.name.split("-", 1)[0]
                out[folder.name] = VoiceProfile(
                    description="pulled from the catalog",
                    language=lang,
                    model=ModelSpec(catalog=folder.name),
                    name=folder.name,
                    source=str(folder),
                )
        return out

    def profiles(self) -> dict[str, VoiceProfile]:
        found = {**self._builtin_profiles(), **self._pulled_profiles()}
        self.errors = {}
        if self.user_dir.is_dir():
            for path in sorted(self.user_dir.glob("*.toml")):
                try:
                    found[path.stem] = load_profile(path)
                except ConfigError as err:
                    self.errors[path.stem] = err
                    log.warning("%s", err)
        return found

    def get(self, name: str) -> VoiceProfile:
        """A profile by name, or from a path to a profile .toml or a model .onnx."""
        if name.endswith(".toml") and Path(name).expanduser().is_file():
            return load_profile(Path(name).expanduser())
        if name.endswith(".onnx"):
            path = Path(name).expanduser().resolve()
            return VoiceProfile(model=ModelSpec(path=str(path)), name=path.stem, source=str(path))
        found = self.profiles()
        if name in found:
            return found[name]
        if name in self.errors:
            raise self.errors[name]
        from .voice_catalog import Catalog

        if name in Catalog.load().voices:
            raise ModelError(f"voice '{name}' is not installed; run 'sayso voices pull {name}'")
        known = ", ".join(sorted(found)) or "none"
        raise ModelError(f"unknown voice '{name}' (installed: {known})")

    def model_files(self, profile: VoiceProfile) -> tuple[Path, Path]:
        return model_files(profile, self.user_dir)

    def installed(self) -> dict[str, VoiceProfile]:
        """Profiles whose model files are present."""
        out = {}
        for name, profile in self.profiles().items():
            try:
                self.model_files(profile)
            except ModelError:
                continue
            out[name] = profile
        return out


# --------------------------------------------------------------------------
# Choosing a voice by the text's language
# --------------------------------------------------------------------------

COMMON_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl")


class LanguagePicker:
    """Pick a voice for a text by its language (lingua), falling back to the default.

    Candidate languages are those of the installed voices and the keys of
    ``language_voices``; the detector also knows a few common languages so a
    text in a language with no voice is not forced onto a wrong one.  With
    fewer than two candidate languages no detection runs at all.
    """

    def __init__(
        self,
        registry: VoiceRegistry,
        default_voice: str,
        language_voices: Mapping[str, str],
        min_chars: int = 20,
        min_confidence: float = 0.5,
    ) -> None:
        self.registry = registry
        self.default_voice = default_voice
        self.language_voices = {k.lower(): v for k, v in language_voices.items()}
        self.min_chars = min_chars
        self.min_confidence = min_confidence
        self._detector: Optional[Any] = None  # a lingua LanguageDetector, built on first use
        self._detector_key: Optional[frozenset] = None

    def voices_by_language(self) -> dict[str, str]:
        from .textnorm import base_language

        out: dict[str, str] = {}
        installed = self.registry.installed()
        for name, profile in installed.items():
            out.setdefault(base_language(profile.language), name)
        if self.default_voice in installed:
            out[base_language(installed[self.default_voice].language)] = self.default_voice
        out.update({base_language(k): v for k, v in self.language_voices.items()})
        return out

    def _build(self, languages: frozenset):
        if self._detector is None or self._detector_key != languages:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            langs = set()
            for code in languages | set(COMMON_LANGUAGES):
                try:
                    langs.add(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
                except (AttributeError, ValueError):
                    continue
            self._detector = LanguageDetectorBuilder.from_languages(*langs).build()
            self._detector_key = languages
        return self._detector

    def detect(self, text: str, languages: frozenset) -> Optional[str]:
        """ISO 639-1 code of *text*'s language, or None when unsure."""
        sample = text[:2000]
        if len(sample.strip()) < self.min_chars:
            return None
        detector = self._build(languages)
        values = detector.compute_language_confidence_values(sample)
        if not values or values[0].value < self.min_confidence:
            return None
        return values[0].language.iso_code_639_1.name.lower()

    def pick(self, text: str) -> str:
        by_lang = self.voices_by_language()
        if len(by_lang) < 2:
            return self.default_voice
        lang = self.detect(text, frozenset(by_lang))
        voice = by_lang.get(lang or "", self.default_voice)
        log.debug("language %s -> voice %s", lang, voice)
        return voice

    def warm(self) -> None:
        """Load the detector's models now (they take a moment on first use)."""
        by_lang = self.voices_by_language()
        if len(by_lang) >= 2:
            self._build(frozenset(by_lang)).compute_language_confidence_values("warm up the language models")

"""Unit tests for the text features (real models, no mocks)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scoring.features import similarity


@pytest.fixture(scope="module")
def embedder():
    return similarity.load_embedder()


def test_embeddings_are_unit_and_semantic(embedder):
    src = "Climate change is driven by greenhouse gas emissions from burning fossil fuels."
    vecs = embedder.embed([src, "Burning coal and oil releases gases that warm the planet.",
                           "I like to eat pizza on Fridays with my friends."])
    assert vecs.shape == (3, similarity.DIM)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert similarity.cosine(vecs[0], vecs[1]) > similarity.cosine(vecs[0], vecs[2]) + 0.3


def test_embed_cache_gives_identical_vectors(embedder):
    a = embedder.embed(["the same text", "another"])
    b = embedder.embed(["another", "the same text"])
    assert np.allclose(a[0], b[1]) and np.allclose(a[1], b[0])


def test_default_embedder_multiplies_in_int8_and_keeps_the_packaged_models_vectors(embedder, tmp_path):
    import onnx

    path = similarity.default_model_path()
    graph = onnx.load(str(path)).graph
    weights = {i.name for i in graph.initializer}
    assert sum(n.op_type == "MatMulInteger" for n in graph.node) == 36  # 6 weight matrices in each of 6 layers
    assert not [n for n in graph.node if n.op_type == "MatMul" and set(n.input) & weights]  # none left in float
    rebuilt = similarity.build_dynamic_int8(similarity.packaged_model_path(), tmp_path / "again.onnx")
    assert rebuilt.read_bytes() == path.read_bytes()  # deterministic: every install builds the same model
    packaged = similarity.load_embedder(model_path=similarity.packaged_model_path())
    texts = ["Climate change is driven by greenhouse gas emissions from burning fossil fuels.",
             "In my opinion students should do community service because it teach them responsability.",
             "The cat sat on the mat.", "Technology has changed the way we communicate with each other every day."]
    a, b = embedder.embed(texts), packaged.embed(texts)
    assert (a * b).sum(axis=1).min() > 0.97  # the same model, int8 arithmetic
    assert np.allclose(a @ a.T, b @ b.T, atol=0.05)  # the cosines the features read move by a few hundredths at most


def test_missing_model_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        similarity.load_embedder(model_path=tmp_path / "nope.onnx")


# ------------------------------------------------------------------------------ other features

from scoring.features import coherence, content, grammar, nlp, spelling, vocabulary  # noqa: E402
from scoring.text import tokens  # noqa: E402


@pytest.fixture(scope="module")
def parser():
    return nlp.Parser(nlp.load_nlp())


@pytest.fixture(scope="module")
def countable():
    return vocabulary.load_countable()


def test_countable_nouns(countable):
    assert {"problem", "person", "decision"} <= countable
    assert not {"homework", "information", "advice", "money", "music"} & countable


@pytest.fixture(scope="module")
def checker():
    return spelling.load_spellchecker()


def test_spaCy_loads_without_ner(parser):
    assert "ner" not in parser.nlp.pipe_names and "parser" in parser.nlp.pipe_names
    assert parser("One text.") is parser("One text.")  # cached per text


ATTRIBUTE_RULER_TEXTS = [
    "There's a dog. It's fine, isn't it? They ain't gonna stop, y'all, and we gotta go. Let's c'm on.",
    "Nothin' is  easier\n\nthan this:   he gets what he got, and she does what she did.",
    "i dont think that students should of been doing there homework becuase its to hard .",
    "Whether or not the government agrees, the U.S. economy grew 3.5% in 2020; I'd say it'll grow.",
    "", "   ", "Hello",
]


def _parsed_up_to_the_ruler(parser, text):
    doc = parser.nlp.make_doc(text)
    for name, pipe in parser.nlp.pipeline:
        if name == "attribute_ruler":
            return doc
        doc = pipe(doc)
    return doc


@pytest.mark.parametrize("text", ATTRIBUTE_RULER_TEXTS)
def test_indexed_attribute_match_equals_spacys_matcher(parser, text):
    ruler = parser.nlp.get_pipe("attribute_ruler")
    assert isinstance(ruler.match, nlp.IndexedAttributeMatch)  # installed by load_nlp
    doc = _parsed_up_to_the_ruler(parser, text)
    spacys = type(ruler).match(ruler, doc)  # the class's own method: spaCy's Matcher
    assert ruler.match(doc) == spacys


_RULER_WORDS = ["ai", "n't", "gon", "na", "got", "ta", "y'", "all", "let", "'s", "c'm", "on", "there", "is", "are",
                "was", "'re", "it", "nothin'", "do", "does", "did", "have", "has", "gets", "got", "the", "that", "which",
                "because", "be", "of", "not", "I", "'m", "am", "you", "me", "dog", "run", "quickly", "big", ",", ".",
                "?", " ", "\n\n", "  "]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_RULER_WORDS), max_size=30))
def test_indexed_attribute_match_equals_spacys_matcher_on_any_word_sequence(parser, words):
    text = " ".join(words)
    ruler = parser.nlp.get_pipe("attribute_ruler")
    doc = _parsed_up_to_the_ruler(parser, text)
    assert ruler.match(doc) == type(ruler).match(ruler, doc)


def test_numpy_blas_parses_exactly_like_blis(parser):
    import spacy

    layers = [node for _, pipe in parser.nlp.pipeline if getattr(pipe, "model", None) for node in pipe.model.walk()]
    assert layers and not any(node.ops.use_blis for node in layers)  # switched by load_nlp
    from threadpoolctl import threadpool_info
    assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")  # no BLAS threads of its own
    with_blis = spacy.load(nlp.FALLBACK_MODEL, exclude=nlp.EXCLUDE)
    essay = ("In my opinion, students which has a part time job learns how to manage there money. For example my "
             "brother worked in a cafe since two years and he is more responsable than me, because he knows that "
             "nothing come for free. However, some people argue that a job takes time away from studying, "
             "and this is partly true when the hours are long.")
    for text in ATTRIBUTE_RULER_TEXTS + [essay]:
        ours, theirs = parser.nlp(text), with_blis(text)
        assert [(t.tag_, t.dep_, t.head.i, t.lemma_, t.is_sent_start) for t in ours] == \
               [(t.tag_, t.dep_, t.head.i, t.lemma_, t.is_sent_start) for t in theirs]


def test_indexed_attribute_match_refuses_patterns_it_cannot_test():
    import spacy
    blank = spacy.blank("en")
    ruler = blank.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "?"}]], {"LEMMA": "x"})
    assert not nlp.IndexedAttributeMatch.install(ruler)
    assert not isinstance(ruler.match, nlp.IndexedAttributeMatch)


def test_spelling_accepts_both_dialects_and_flags_errors(checker):
    text = "The colour of the theatre. The color of the theater. I recieve it."
    found = spelling.spelling_findings(text, tokens(text), checker, [0])
    errors = [f for f in found if f.kind == "spelling"]
    assert [f.text for f in errors] == ["recieve"] and text[errors[0].start:errors[0].end] == "recieve"
    assert any(f.kind == "spelling_consistency" for f in found)


def test_contractions_without_apostrophe_are_punctuation_not_spelling(checker):
    text = "I dont know why thats so. Im sure it doesnt matter, and I cant say it wont."
    found = spelling.spelling_findings(text, tokens(text), checker, [0, 26])
    assert not [f for f in found if f.kind == "spelling"]  # "cant", "wont" are words: not flagged at all
    marks = [(f.kind, text[f.start:f.end], f.suggestions) for f in found]
    assert marks == [("mechanics", "dont", ["don't"]), ("mechanics", "thats", ["that's"]),
                     ("mechanics", "Im", ["I'm"]), ("mechanics", "doesnt", ["doesn't"])]


@pytest.mark.parametrize("word", ["kilometer", "canceling", "odor", "liters", "pretense", "idolise", "paralyse",
                                  "industrialise", "counselors"])
def test_regular_british_or_american_twins_of_dictionary_words_are_accepted(checker, word):
    assert checker.known(word)


@pytest.mark.parametrize("word", ["exercize", "advertize", "surprize", "sence", "smilling", "controling", "callled",
                                  "yor"])
def test_misspellings_that_look_like_twins_stay_errors(checker, word):
    assert not checker.known(word)


@pytest.mark.parametrize("word,dialect", [("colour", "uk"), ("color", "us"), ("organise", "uk"), ("organize", "us"),
                                          ("four", None), ("rise", None), ("centre", "uk"), ("travelled", "uk")])
def test_dialect_of(word, dialect):
    assert spelling.dialect_of(word) == dialect


def test_typographic_and_style_preferences_are_not_errors():
    linter = grammar.load_linter()  # every Harper rule but HARPER_OFF_RULES
    text = "I like apples, pears and plums.  It was very good... I waited 3-4 days and also I left. The class room was big."
    found = grammar.harper_findings(text, linter)
    assert [f.text for f in found] == ["class room"]  # a real error still found; the preferences are not


def test_grammar_rules(parser):
    linter = grammar.load_linter()
    text = "She go to work. The dogs is loud. It was a apple. Because of the rain in the city."
    rep = grammar.check(text, parser(text), linter)
    spans = {text[f.start:f.end] for f in rep.errors}
    assert {"go", "is", "a"} <= spans
    assert any("fragment" in f.message for f in rep.fragments)
    clean = "She goes to work. The dogs are loud. It was an apple."
    assert grammar.check(clean, parser(clean), linter).errors == []


@pytest.mark.parametrize("text,flagged", [
    ("Every students need help.", "students"),
    ("These problem is serious.", "problem"),
    ("It can makes people happy.", "makes"),
    ("We should to go now.", "to"),
    ("They didn't went home.", "went"),
    ("This is more easier for me.", "more"),
    ("I need some informations about it.", "informations"),
    ("Others people disagree with me.", "Others"),
    ("I have finish my homework.", "finish"),
    ("There is many problems in the city.", "is"),
    ("Is important to study every day.", "Is"),
    ("We will discuss about the plan.", "discuss about"),
    ("Students should learn on there own.", "there own"),
    ("People who lives here are happy.", "lives"),
    ("I enjoy to swim.", "swim"),
    ("I look forward to see you.", "see"),
    ("My parents let me to go.", "to"),
    ("I want go home.", "go"),
    ("It is one of the best thing in life.", "thing"),
    ("It depends of the weather.", "depends of"),
    ("Students can learned more.", "learned"),
    ("We need to thinking about it.", "thinking"),
    ("The tests are to hard for us.", "to"),
    ("There are to many people here.", "to"),
    ("Teachers yell to much, and it hurts.", "to"),
    ("She has many challenge and several problem.", "challenge"),
    ("There are various reason for this.", "reason"),
    ("Self-esteem can be build by praise.", "build"),
    ("Food should be deliver on time.", "deliver"),
    ("I always be on time.", "be"),
    ("It is better for you life.", "you"),
    ("They just thinking of success.", "thinking"),
    ("While we driving, it rains.", "driving"),
    ("Is going to be better for us.", "Is"),
    ("It is hard for get a job.", "for"),
    ("I think its better to work alone.", "its"),
    ("They happy because it is easy.", "happy"),
    ("They are available to passed the test.", "passed"),
    ("We study because is important to learn.", "is"),
    ("That opportunity happen for them.", "happen"),
    ("It really help me.", "help"),
    ("Some of they friend can not play.", "they"),
    ("Now his attitude going to change.", "going"),
])
def test_learner_error_rules(parser, countable, text, flagged):
    found = grammar.learner_errors(parser(text), text, countable)
    assert flagged in {text[f.start:f.end] for f in found}, [f.message for f in found]
    assert all(f.kind == "grammar" for f in found)


@pytest.mark.parametrize("text", [
    "Every student needs help.", "These problems are serious.", "It can make people happy.", "They didn't go home.",
    "This is easier for me.", "I need some information about it.", "Other people disagree with me.",
    "I have finished my homework.", "There are many problems in the city.", "Is it important to study?",
    "A few students came. A lot of people agree.", "We ought to go now.", "I look forward to meeting you.",
    "People who live here are happy.", "I enjoy swimming.", "My parents let me go.", "I want to go home.",
    "It is one of the best things in life.", "Fumes are considered to be harmful.", "Students who study hard pass.",
    "They spoke to children, which is a good idea.", "He made suggestions to improve it.",
    "I'd heard it before.", "It can be learned.", "I am used to working late.", "When it comes to choosing, we wait.",
    "We went to many places.", "We have been to many countries.", "It is too hard.", "They listened to much of the talk.", "It moved from early to late.",
    "Many people came and several problems arose.", "Self-esteem can be built by praise.", "Let it be.", "I have bad news for you today.",
    "I gave you money.", "I found it very confronting to sing.", "It is worth it getting away.", "When it’s about cleaning, I wait.",
    "They are just thinking of success.", "Is it going to rain?", "I went for help.", "The people I worked for find me reliable.",
    "The dog wagged its tail; at its best it runs.", "This makes it easy.", "It costs more than is necessary.", "He came home and is happy.",
    "My host family take me to the beach.", "I let him go.", "Between you and me, he or she knows.", "They told us to go.",
    "It is a good idea. For example, the problem is that kind of person.", "We met in person last week and take part in it.",
    "I have no idea. Each person and problem counts.",
    "I do not know. It will make students not attend. I would rather not go.", "They study through effort and lack of privacy.",
])
def test_learner_error_rules_leave_correct_text_alone(parser, countable, text):
    assert grammar.learner_errors(parser(text), text, countable) == []


def test_unusual_pairs_and_ing_forms(parser):
    bigrams = vocabulary.load_bigrams()
    odd = vocabulary.phraseology(parser("People is go to school for take good career and they is happy."), bigrams)
    usual = vocabulary.phraseology(parser("People go to school to get a good job and they are happy."), bigrams)
    assert odd["unusual_pair_ratio"] > usual["unusual_pair_ratio"]
    text = "By improving their skills, people living in cities are finding better jobs."
    assert coherence.features(text, parser(text), 12)["ing_forms_per_100w"] == pytest.approx(100 * 3 / 12, abs=0.01)


def test_comma_splice_is_a_run_on(parser):
    text = "I went home early, it was very late."
    rep = grammar.check(text, parser(text), grammar.load_linter())
    assert rep.run_ons and text[rep.run_ons[0].start:rep.run_ons[0].end] == ","


def test_mtld_orders_diversity():
    repetitive = ("the cat sat on the mat " * 20).split()
    diverse = ("a quick brown fox jumps over lazy dogs while seven wizards quietly judge boxing matches near "
               "the old harbour where fishermen mend torn nets and sing ancient songs about storms").split()
    assert vocabulary.mtld(diverse) > vocabulary.mtld(repetitive)


def test_vocabulary_sophistication(parser):
    basic = vocabulary.features(parser("The good man had a big house and a nice car and a good job."))
    rich = vocabulary.features(parser("The affluent entrepreneur acquired a spacious residence and a luxurious vehicle."))
    assert rich["mean_zipf"] < basic["mean_zipf"] and rich["rare_ratio"] > basic["rare_ratio"]


def test_connectives_and_paragraphs(parser):
    text = "Firstly, we argue. However, they disagree.\n\nFor example, costs rose. In conclusion, it depends."
    f = coherence.features(text, parser(text), 14)
    assert f["n_paragraphs"] == 2 and f["connective_types"] == 4


def test_copied_spans_and_templates():
    source = "The quick brown fox jumps over the lazy dog near the river bank today."
    resp = "I saw that the quick brown fox jumps over the lazy dog, which was funny."
    spans = content.copied_spans(tokens(resp), source)
    assert [resp[s:e] for s, e in spans] == ["the quick brown fox jumps over the lazy dog"]
    t = "This is a controversial topic. In today's world, many things change."
    assert len(content.template_spans(t)) == 2

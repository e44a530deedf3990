"""Examples of every ``aspire`` command, shown on the CLI page (``aspire_cli``) and checked by
``tests/test_cli_help.py`` against the real parser; apart from the Sphinx extension so that
the test needs no Sphinx."""

from __future__ import annotations

#: Examples per subcommand: (what it does, the command line). The bundled example files are
#: in ``aspire_models/examples/`` (``python -c "import aspire_models.examples as e;
#: print(e.example_path('x').parent)"``); tests/test_cli_help.py parses every line with the
#: command's own parser, so an example cannot name an option that does not exist.
EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "frameworks": [
        ("list every framework", "aspire frameworks"),
        ("one framework, every element with its definition and source", "aspire frameworks show cipd-hr-map"),
        ("the same as a JSON document", "aspire frameworks show cipd-sop-eight-themes --json"),
    ],
    "instruments": [
        ("list every instrument", "aspire instruments"),
        ("one instrument: its scales and the columns a response file needs", "aspire instruments show hrbp360-review"),
    ],
    "plugins": [("which plugins are loaded, from which distributions", "aspire plugins")],
    "validate": [
        ("check a framework document", "aspire validate my-framework.json"),
        ("check a plugin's folder of documents", "aspire validate src/aspire_riverside/data/"),
        ("check an instrument on a framework not yet installed", "aspire validate survey.json --framework fw.json"),
    ],
    "audit": [("could a withheld group be worked out from a stored result?", "aspire audit result.json")],
    "score": [
        ("score a CSV and store the result", "aspire score -i aspire-sop-self-assessment responses.csv -o result.json"),
        (
            "a Qualtrics export through a mapping",
            "aspire score -i aspire-sop-self-assessment export.csv --mapping map.json",
        ),
        ("one person's 360 review", "aspire score -i hrbp360-review hrbp360.csv --subject HRBP-01"),
        (
            "change a scorer's parameter",
            "aspire score -i aspire-sop-self-assessment responses.csv --param gap-priority.method=ipa",
        ),
    ],
    "reliability": [("Cronbach's alpha per dimension", "aspire reliability -i hrbp360-review hrbp360.csv")],
    "benchmark": [
        ("each council against the others in the file", "aspire benchmark -i aspire-sop-self-assessment responses.csv"),
        (
            "one council against a stored norm table",
            "aspire benchmark -i aspire-sop-self-assessment responses.csv --norms norms.json --organisation 'Ely'",
        ),
        (
            "theme means against the published 2015 averages",
            "aspire benchmark -i aspire-sop-self-assessment responses.csv --reference aspire-2015-averages",
        ),
    ],
    "norms": [
        (
            "build a norm table to share",
            "aspire norms -i aspire-sop-self-assessment responses.csv --id region-2025 -o norms.json",
        ),
    ],
    "frequencies": [
        ("a published frequency table, ranked by mean", "aspire frequencies ies-2015-table-3-1"),
        ("your own counts, ranked by top-two-box share", "aspire frequencies counts.csv --rank-by top_two_box"),
    ],
    "diffusion": [
        (
            "adopter categories, Bass fit and forecast per practice",
            "aspire diffusion adoption.csv --observed-until 2025",
        ),
        ("with a launch year for every practice", "aspire diffusion adoption.csv --launch 2012 --horizon 5"),
    ],
    "demo": [
        ("the Aspire self-assessment example", "aspire demo"),
        ("a 360 review, one subject", "aspire demo 360 --subject HRBP-02"),
    ],
    "report": [
        ("an HTML report with charts", "aspire report -i aspire-sop-self-assessment responses.csv -o report.html"),
        ("Markdown with the charts as SVG files beside it", "aspire report --result result.json -o report.md"),
        ("an Excel workbook", "aspire report --result result.json -o report.xlsx"),
        ("one person's 360 report", "aspire report -i hrbp360-review hrbp360.csv --subject HRBP-01 -o hrbp-01.html"),
        ("the bundled examples", "aspire report --demo -o demo.html"),
    ],
    "compare": [
        ("two survey waves, oldest first", "aspire compare -i aspire-sop-self-assessment wave-2024.csv wave-2025.csv"),
    ],
    "new-plugin": [("start a plugin of your own", "aspire new-plugin riverside-council --dir ~/src")],
    "map": [
        ("draft a mapping for a survey export", "aspire map -i aspire-sop-self-assessment export.xlsx -o map.json"),
    ],
}

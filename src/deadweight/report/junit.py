"""JUnit XML, for CI systems that show test reports (Jenkins, GitLab, Azure, CircleCI).

One test suite per file with findings, one failing test case per finding (its name is the
code and the weight, so a report lists what is dead at a glance), one erroring case per file
that could not be analyzed, and a single passing case when there is nothing to report: some
viewers treat an empty report as a broken job.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TextIO

from deadweight.findings import Result
from deadweight.report._common import printable, sorted_errors, sorted_findings
from deadweight.rules.base import Rule


def to_element(result: Result) -> ET.Element:
    findings = sorted_findings(result.findings)
    errors = sorted_errors(result.errors)
    root = ET.Element(
        "testsuites",
        name="deadweight",
        tests=str(max(1, len(findings) + len(errors))),
        failures=str(len(findings)),
        errors=str(len(errors)),
    )
    for path, group in itertools.groupby(findings, key=lambda f: f.path):
        in_file = list(group)
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(in_file)), failures=str(len(in_file)))
        for f in in_file:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{f.code} {f.class_name}.{f.attribute}",
                classname=path,
                file=path,
                line=str(f.line),
            )
            # control characters from scanned files are not allowed in XML 1.0
            message = printable(f.message)
            failure = ET.SubElement(case, "failure", message=message, type=f.code)
            failure.text = f"{printable(path)}:{f.line}:{f.column}: {f.code} {message} [{f.confidence}]"
    if errors:
        suite = ET.SubElement(
            root, "testsuite", name="unanalyzable files", tests=str(len(errors)), errors=str(len(errors))
        )
        for e in errors:
            case = ET.SubElement(suite, "testcase", name=e.path, classname=e.path, file=e.path)
            ET.SubElement(case, "error", message=printable(e.reason), type="unanalyzable")
    if not findings and not errors:
        suite = ET.SubElement(root, "testsuite", name="deadweight", tests="1", failures="0")
        ET.SubElement(suite, "testcase", name="no dead weights found", classname="deadweight")
    return root


def emit_junit(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False) -> None:
    """Write the XML document; `color` and `brief` are ignored (a machine format)."""
    root = to_element(result)
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")

#!/usr/bin/env python3
"""Writes the synthetic notebooks the runner's tests execute (run it after editing; commit its output).

Each notebook is nbformat 4.5 with the .NET (C#) kernel metadata the course's notebooks carry, so the runner
sees exactly the shape of a real course notebook.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).parent / "notebooks"


def markdown(cell_id, text):
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text.splitlines(keepends=True)}


def code(cell_id, text):
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"polyglot_notebook": {"kernelName": "csharp"}}, "outputs": [],
            "source": text.splitlines(keepends=True)}


def notebook(name, *cells):
    nb = {"cells": list(cells),
          "metadata": {"kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
                       "language_info": {"name": "polyglot-notebook"},
                       "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp",
                                                            "items": [{"aliases": [], "name": "csharp"}]}}},
          "nbformat": 4, "nbformat_minor": 5}
    (HERE / f"{name}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


PLOTLY = ('#r "nuget: Plotly.NET, 6.0.0"\n#r "nuget: Plotly.NET.CSharp, 0.14.0"\n'
          '#r "nuget: Plotly.NET.Interactive, 6.0.0"\n')

# Every kind of output a cell can produce.
notebook("outputs",
         markdown("intro", "# Outputs\n\nEvery kind of output, and a [link to the chart notebook](chart.ipynb).\n"),
         code("stdout", 'Console.WriteLine("to stdout");\nConsole.WriteLine("second line");'),
         code("stderr", 'Console.Error.WriteLine("to stderr");'),
         code("display", 'using Microsoft.DotNet.Interactive;\n"displayed text".Display();\n'
                         '// The context returns the DisplayedValue it published (object.Display() returns a copy with a new id\n'
                         '// in this .NET Interactive build), so Update replaces the output in place.\n'
                         'var shown = KernelInvocationContextExtensions.Display(KernelInvocationContext.Current, new { Answer = 42 });\n'
                         'shown.Update(new { Answer = 43 });'),
         code("return", '6 * 7'),
         code("cwd", 'System.IO.Path.GetFileName(System.IO.Directory.GetCurrentDirectory())'),
         code("headless", 'Environment.GetEnvironmentVariable("COURSE_HEADLESS")'))

# A cell that throws stops the notebook; the cell after it never runs.
notebook("failing",
         markdown("title", "# Failing\n"),
         code("fine", 'var x = 1;'),
         markdown("note", "The next cell throws.\n"),
         code("boom", '\n// the first line of this cell is a comment\nthrow new InvalidOperationException("boom " + x);'),
         code("never", 'Console.WriteLine("never printed");'))

# A cell that never ends.
notebook("slow",
         markdown("title", "# Slow\n"),
         code("quick", '1 + 1'),
         code("sleep", 'System.Threading.Thread.Sleep(TimeSpan.FromMinutes(10));'),
         code("after", '"after"'))

# A chart through Plotly.NET.Interactive's kernel extension (the runner re-formats it to render offline). The chart
# comes early on the page so that a 1200×900 screenshot shows it.
notebook("chart",
         markdown("title", "# Chart\n"),
         code("chart", PLOTLY + 'using Plotly.NET.CSharp;\n'
                       'Chart.Area<int, int, string>(\n'
                       '        x: new[] { 1, 2, 3, 4 }, y: new[] { 3, 7, 5, 9 },\n'
                       '        FillColor: Plotly.NET.Color.fromHex("#d62728"), LineColor: Plotly.NET.Color.fromHex("#d62728"))\n'
                       '    .WithXAxisStyle(TitleText: "a red area")'),
         code("second", 'Chart.Line<int, int, string>(new[] { 1, 2, 3 }, new[] { 1, 4, 9 })'))

# Formulas for the book's math: inline, display ($$ alone on lines and inside a paragraph), in the objectives, in a
# Markdown output; dollar signs in code spans, code blocks and printed text are not math.
notebook("math",
         markdown("title", "# Math\n\n"
                           "**Objectives** — by the end of this notebook you can:\n"
                           "- compute the logistic $\\sigma(x) = 1/(1+e^{-x})$;\n"
                           "- read display math.\n"),
         markdown("inline", "## Inline and display\n\n"
                            "Batch norm standardises: $\\hat x_i = \\frac{x_i - \\mu_B}{\\sqrt{\\sigma_B^2 + \\varepsilon}}$, and "
                            "`$\"{x}\"` in a code span is C#, not math.\n\n"
                            "$$\\mu_B = \\frac1m\\sum_{i} x_i, \\qquad\n"
                            "\\sigma_B^2 = \\frac1m\\sum_i (x_i - \\mu_B)^2 .$$\n\n"
                            "$$\n\\frac{\\partial L}{\\partial \\gamma} = \\sum_i \\frac{\\partial L}{\\partial y_i}\\hat x_i\n$$\n\n"
                            "```csharp\nvar s = $\"{1 + 1} dollars\";\n```\n"),
         code("claims", 'Console.WriteLine("✔ the mean is 0 (max |mean| 1.2E-07)");\n'
                        'Console.WriteLine($"{2 + 2} is printed with $ in the code");'),
         code("markdown-output", 'using Microsoft.DotNet.Interactive;\n'
                                 '"The loss $L = \\\\tfrac12 (y - \\\\hat y)^2$ from a Markdown output.".DisplayAs("text/markdown");'))

# An exercise: learners get `answer = 0`; the solution file fills in the cell; the check throws headless.
notebook("exercise",
         markdown("title", "# Exercise\n\n## Exercise 1\n\nMake `answer` 42.\n"),
         code("check-helper",
              '// The course library\'s Exercise.Check contract: ❌ prints a hint, and throws in headless runs.\n'
              'static bool Check(string id, bool passed, string hint)\n{\n'
              '    Console.WriteLine(passed ? $"✅ Exercise {id}: correct." : $"❌ Exercise {id}: not yet. Hint: {hint}");\n'
              '    if (!passed && Environment.GetEnvironmentVariable("COURSE_HEADLESS") == "1")\n'
              '        throw new Exception($"Exercise {id} failed in a headless run. Hint: {hint}");\n'
              '    return passed;\n}'),
         code("ex1", '// Your code here: make answer 42.\nint answer = 0;'),
         code("ex1-check", 'Check("1", answer == 42, "six times seven");'))

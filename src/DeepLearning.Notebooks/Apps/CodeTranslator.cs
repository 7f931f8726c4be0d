using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepLearning.Notebooks.Apps;

/// <summary>A code cell to translate: its position in the notebook and its C# (notebook-only lines removed).</summary>
internal sealed record CodeCell(int Number, string Code);

/// <summary>One translated cell: statements in place, the names C# made it rename, the types it moved.</summary>
/// <param name="Number">The cell's position in the notebook.</param>
/// <param name="Statements">The cell as top-level statements (no using directives, no type declarations).</param>
/// <param name="Renames">Names the cell declares again (or that clash with a name the program declares) and their new names.</param>
internal sealed record TranslatedCell(int Number, string Statements, IReadOnlyList<(string From, string To)> Renames);

/// <summary>The cells as one program: hoisted using directives, the cells' statements, then the moved types.</summary>
internal sealed record TranslatedCode(IReadOnlyList<string> Usings, IReadOnlyList<TranslatedCell> Cells, IReadOnlyList<string> Types);

/// <summary>
/// Turns a notebook's C# cells (Roslyn <em>script</em> submissions, each seeing the ones before it) into the top-level
/// statements of one program. The languages differ in four ways, each handled here with Roslyn, not text patterns:
/// <list type="bullet">
/// <item>using directives may open any cell; a program has them first → hoisted.</item>
/// <item>a cell may declare types anywhere; a program declares them after its statements → moved to the end.</item>
/// <item>a cell's last expression without a semicolon is displayed → <c>Lesson.Show(expression);</c>.</item>
/// <item>a cell may declare a name an earlier cell declared (a new variable, shadowing the old); in a program all
/// top-level variables live in one scope, which also contains every nested block → the later declaration gets a
/// fresh name (<c>grid</c> → <c>grid2</c>) and so does a block-local variable that meets a top-level one.
/// Which identifier means which variable comes from Roslyn's binder: each cell is compiled as a script submission
/// after a stub submission that declares the names of the earlier cells.</item>
/// </list>
/// </summary>
internal static class CodeTranslator
{
    private static readonly CSharpParseOptions Script =
        CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions Options = new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    // Binding names needs a few base assemblies only: a local binds to its declaration even where the library's
    // types are unknown, and lambdas bind their parameters even when the call they are passed to does not resolve.
    private static readonly Lazy<MetadataReference[]> Framework = new(() =>
    {
        string dir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return new[] { "System.Private.CoreLib", "System.Runtime", "System.Linq", "System.Collections", "System.Console" }
            .Select(name => (MetadataReference)MetadataReference.CreateFromFile(Path.Combine(dir, name + ".dll")))
            .ToArray();
    });

    private enum Kind { Variable, Function }

    private sealed record Nested(int Cell, ISymbol Symbol, List<SyntaxToken> Tokens);

    /// <param name="cells">The code cells, in order.</param>
    /// <param name="show">The method a cell's displayed value goes to.</param>
    /// <param name="reserved">Names the generated code itself uses at top level (renamed away if a cell declares them).</param>
    /// <exception cref="FormatException">A cell does not parse, or uses a construct a program cannot hold.</exception>
    public static TranslatedCode Translate(IReadOnlyList<CodeCell> cells, string show, IEnumerable<string> reserved)
    {
        var trees = cells.Select(c => CSharpSyntaxTree.ParseText(c.Code, Script)).ToList();
        for (int k = 0; k < cells.Count; k++)
        {
            var error = trees[k].GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
            if (error is not null)
                throw new FormatException($"cell {cells[k].Number}: the code does not parse as C#: {error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)} (line {error.Location.GetLineSpan().StartLinePosition.Line + 1})");
        }

        // Every identifier in the notebook: a fresh name must not be any of them.
        var taken = new HashSet<string>(trees.SelectMany(t => t.GetRoot().DescendantTokens().Where(x => x.IsKind(SyntaxKind.IdentifierToken)).Select(x => x.ValueText)), StringComparer.Ordinal);
        var topLevel = new HashSet<string>(reserved, StringComparer.Ordinal);     // names the program declares at top level
        taken.UnionWith(topLevel);
        var current = new Dictionary<string, (string AppName, Kind Kind)>(StringComparer.Ordinal);   // notebook name → program name
        var renames = cells.Select(_ => new Dictionary<SyntaxToken, string>()).ToList();
        var notes = cells.Select(_ => new List<(string, string)>()).ToList();
        var nested = new List<Nested>();

        string Fresh(string name)
        {
            for (int n = 2; ; n++)
                if (taken.Add(name + n)) return name + n;
        }

        // Pass 1: top-level declarations and references, cell by cell, as the kernel binds them.
        for (int k = 0; k < cells.Count; k++)
        {
            var tree = trees[k];
            var compilation = CSharpCompilation.CreateScriptCompilation($"cell{k}", tree, Framework.Value, Options, Stubs(current));
            var model = compilation.GetSemanticModel(tree);
            var root = tree.GetRoot();

            // This cell's top-level names, in the order they appear; a name already declared gets a fresh one.
            var declaredHere = new Dictionary<string, (string AppName, Kind Kind)>(StringComparer.Ordinal);
            var nestedHere = new Dictionary<ISymbol, Nested>(SymbolEqualityComparer.Default);
            foreach (var (node, token) in Declarations(root))
            {
                var symbol = model.GetDeclaredSymbol(node);
                if (symbol is null) continue;
                if (IsTopLevel(symbol))
                {
                    if (!declaredHere.TryGetValue(symbol.Name, out var entry))
                    {
                        string app = topLevel.Contains(symbol.Name) ? Fresh(symbol.Name) : symbol.Name;
                        topLevel.Add(app);
                        taken.Add(app);
                        entry = (app, symbol is IMethodSymbol ? Kind.Function : Kind.Variable);
                        declaredHere[symbol.Name] = entry;
                        if (app != symbol.Name) notes[k].Add((symbol.Name, app));
                    }
                    if (entry.AppName != token.ValueText) renames[k][token] = entry.AppName;
                }
                else if (IsBlockLocal(symbol, node))
                {
                    if (!nestedHere.TryGetValue(symbol, out var n)) nestedHere[symbol] = n = new Nested(k, symbol, []);
                    n.Tokens.Add(token);
                }
            }

            foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
            {
                var info = model.GetSymbolInfo(name);
                var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
                if (symbol is null) continue;
                if (IsTopLevel(symbol))
                {
                    // A name this cell declares means the new declaration all through the cell (script members are
                    // visible in their whole submission); any other, the declaration it had after the cells before.
                    var map = declaredHere.ContainsKey(symbol.Name) ? declaredHere : current;
                    if (map.TryGetValue(symbol.Name, out var entry) && entry.AppName != name.Identifier.ValueText)
                        renames[k][name.Identifier] = entry.AppName;
                }
                else if (nestedHere.TryGetValue(symbol, out var n))
                {
                    n.Tokens.Add(name.Identifier);
                }
            }

            foreach (var (name, entry) in declaredHere) current[name] = entry;
            nested.AddRange(nestedHere.Values);
        }

        // Pass 2: a block's local may not share a name with any top-level variable of the program (one scope: Main's).
        foreach (var n in nested.Where(n => topLevel.Contains(n.Symbol.Name)))
        {
            string app = Fresh(n.Symbol.Name);
            foreach (var token in n.Tokens) renames[n.Cell][token] = app;
            notes[n.Cell].Add((n.Symbol.Name, app));
        }

        var usings = new List<string>();
        var types = new List<string>();
        var translated = new List<TranslatedCell>();
        for (int k = 0; k < cells.Count; k++)
        {
            var root = (CompilationUnitSyntax)trees[k].GetRoot();
            var map = renames[k];
            root = root.ReplaceTokens(map.Keys, (original, _) => SyntaxFactory.Identifier(original.LeadingTrivia, map[original], original.TrailingTrivia));
            translated.Add(new TranslatedCell(cells[k].Number, Statements(root, cells[k].Number, show, usings, types), notes[k]));
        }
        return new TranslatedCode(usings, translated, types);
    }

    // The previous submission every cell is compiled after: the names earlier cells declared, with placeholder types.
    private static CSharpCompilation Stubs(Dictionary<string, (string AppName, Kind Kind)> declared)
    {
        var text = new StringBuilder("using System;\nusing System.Collections.Generic;\nusing System.Linq;\n");
        foreach (var (name, (_, kind)) in declared.OrderBy(d => d.Key, StringComparer.Ordinal))
            text.Append(kind == Kind.Function ? $"void @{name}(params object[] _) {{ }}\n" : $"object @{name};\n");
        var tree = CSharpSyntaxTree.ParseText(text.ToString(), Script);
        return CSharpCompilation.CreateScriptCompilation("stubs", tree, Framework.Value, Options);
    }

    // Nodes that declare a name, with the token that spells it.
    private static IEnumerable<(SyntaxNode Node, SyntaxToken Token)> Declarations(SyntaxNode root)
    {
        foreach (var node in root.DescendantNodes())
        {
            switch (node)
            {
                case VariableDeclaratorSyntax v: yield return (v, v.Identifier); break;
                case SingleVariableDesignationSyntax d: yield return (d, d.Identifier); break;
                case MethodDeclarationSyntax m: yield return (m, m.Identifier); break;
                case LocalFunctionStatementSyntax f: yield return (f, f.Identifier); break;
                case ForEachStatementSyntax f: yield return (f, f.Identifier); break;
                case CatchDeclarationSyntax c when c.Identifier.Span.Length > 0: yield return (c, c.Identifier); break;
                case FromClauseSyntax q: yield return (q, q.Identifier); break;
                case LetClauseSyntax q: yield return (q, q.Identifier); break;
                case JoinClauseSyntax q: yield return (q, q.Identifier); break;
                case JoinIntoClauseSyntax q: yield return (q, q.Identifier); break;
                case QueryContinuationSyntax q: yield return (q, q.Identifier); break;
            }
        }
    }

    // A script's top-level variables and functions are members of its script class.
    private static bool IsTopLevel(ISymbol symbol) =>
        symbol is IFieldSymbol or IMethodSymbol { MethodKind: MethodKind.Ordinary } && symbol.ContainingType is { IsScriptClass: true };

    // A local of a top-level block (not inside a lambda, local function or type, whose names may shadow).
    private static bool IsBlockLocal(ISymbol symbol, SyntaxNode declaration) =>
        symbol is ILocalSymbol or IRangeVariableSymbol or IMethodSymbol { MethodKind: MethodKind.LocalFunction }
        && !declaration.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax
            or BaseMethodDeclarationSyntax or BaseTypeDeclarationSyntax or AccessorDeclarationSyntax);

    // The cell's members as statements; using directives and types go to the lists.
    private static string Statements(CompilationUnitSyntax root, int number, string show, List<string> usings, List<string> types)
    {
        if (root.Externs.Count > 0 || root.AttributeLists.Count > 0)
            throw new FormatException($"cell {number}: extern aliases and assembly attributes cannot be part of a lesson app");
        var text = new StringBuilder();
        foreach (var u in root.Usings)
        {
            string directive = u.WithoutTrivia().ToFullString();
            if (!usings.Contains(directive)) usings.Add(directive);
            text.Append(Comments(u.GetLeadingTrivia()));
        }
        for (int i = 0; i < root.Members.Count; i++)
        {
            var member = root.Members[i];
            switch (member)
            {
                case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement } when i == root.Members.Count - 1:
                    // The cell's value: the notebook displays it.
                    text.Append(statement.GetLeadingTrivia().ToFullString())
                        .Append(show).Append('(').Append(statement.Expression.WithoutTrivia().ToFullString()).Append(");")
                        .Append(statement.Expression.GetTrailingTrivia().ToFullString());
                    break;
                case GlobalStatementSyntax:
                    text.Append(member.ToFullString());
                    break;
                case FieldDeclarationSyntax field when field.Modifiers.All(m => m.IsKind(SyntaxKind.ConstKeyword)):
                    text.Append(member.ToFullString());   // a top-level variable: the same text is a local declaration
                    break;
                case MethodDeclarationSyntax method when method.Modifiers.All(m => m.Kind() is SyntaxKind.StaticKeyword or SyntaxKind.AsyncKeyword or SyntaxKind.UnsafeKeyword):
                    text.Append(member.ToFullString());   // a top-level function: the same text is a local function
                    break;
                case BaseTypeDeclarationSyntax or DelegateDeclarationSyntax:
                    types.Add(member.ToFullString().Trim('\n', '\r', ' '));
                    text.Append($"// ({Describe(member)} is declared at the end of this file: C# wants types after the top-level statements.)\n");
                    break;
                default:
                    throw new FormatException($"cell {number}: a lesson app cannot hold this top-level declaration: `{FirstLine(member)}`");
            }
        }
        text.Append(Comments(root.EndOfFileToken.LeadingTrivia));
        return Tidy(text.ToString());
    }

    private static string Describe(MemberDeclarationSyntax member) => member switch
    {
        TypeDeclarationSyntax t => $"{t.Keyword.ValueText} {t.Identifier.ValueText}",
        EnumDeclarationSyntax e => $"enum {e.Identifier.ValueText}",
        DelegateDeclarationSyntax d => $"delegate {d.Identifier.ValueText}",
        _ => member.Kind().ToString(),
    };

    // Comment lines in a piece of trivia (a using directive's or the end of the cell's).
    private static string Comments(SyntaxTriviaList trivia)
    {
        var text = new StringBuilder();
        foreach (var t in trivia)
            if (t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia))
                text.Append(t.ToFullString()).Append('\n');
        return text.ToString();
    }

    private static string FirstLine(SyntaxNode node) => node.WithoutTrivia().ToFullString().Split('\n')[0].Trim();

    // No blank lines at either end; the inside stays as written (it may hold multi-line string literals).
    private static string Tidy(string code)
    {
        var lines = code.ReplaceLineEndings("\n").Split('\n').ToList();
        while (lines.Count > 0 && lines[0].Trim().Length == 0) lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        return string.Join("\n", lines);
    }
}

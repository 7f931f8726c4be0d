using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepLearning.Notebooks.Tests;

/// <summary>What a reader's browser shows of one page of the book, and what the page asked the network for.</summary>
/// <param name="Page">The page's file.</param>
/// <param name="RawTex">Snippets of visible text (outside code, preformatted output and typeset math) holding TeX
/// delimiters or commands: <c>$</c>, <c>\(</c>, <c>\[</c>, <c>\frac</c>…</param>
/// <param name="Formulas">Typeset formulas (<c>.katex</c> elements).</param>
/// <param name="FirstScreenDisplays">Display formulas entirely within the first screen (1200×900).</param>
/// <param name="KatexStyled">katex.min.css applies (the MathML copy of every formula is visually hidden).</param>
/// <param name="KatexFonts">KaTeX's fonts loaded from the book's folder.</param>
/// <param name="Charts">Every element a script of the page asks plotly.js to draw into.</param>
/// <param name="UndrawnCharts">Charts whose plot area is not drawn, with the reason.</param>
/// <param name="ExternalRequests">Requests for anything but the book's own files (file:, data:, blob:, about:).</param>
/// <param name="MissingFiles">The book's own files the page asked for and did not get.</param>
/// <param name="ScriptErrors">Uncaught script errors.</param>
public sealed record PageView(
    string Page, IReadOnlyList<string> RawTex, int Formulas, int FirstScreenDisplays, bool KatexStyled, bool KatexFonts,
    IReadOnlyList<string> Charts, IReadOnlyList<string> UndrawnCharts,
    IReadOnlyList<string> ExternalRequests, IReadOnlyList<string> MissingFiles, IReadOnlyList<string> ScriptErrors)
{
    /// <summary>Everything wrong with the page for a reader, one line each; empty when it reads right.</summary>
    public IReadOnlyList<string> Problems(bool expectMath)
    {
        var problems = new List<string>();
        problems.AddRange(RawTex.Select(t => $"raw TeX in the text: «{t}»"));
        if (expectMath && Formulas == 0) problems.Add("the notebook has math but the page has no typeset formula (.katex)");
        if (Formulas > 0 && !KatexStyled) problems.Add("katex.min.css does not apply");
        if (Formulas > 0 && !KatexFonts) problems.Add("KaTeX's fonts did not load");
        problems.AddRange(UndrawnCharts.Select(c => $"chart not drawn: {c}"));
        problems.AddRange(ExternalRequests.Select(u => $"request leaving the machine: {u}"));
        problems.AddRange(MissingFiles.Select(u => $"missing file: {u}"));
        problems.AddRange(ScriptErrors.Select(e => $"script error: {e}"));
        return problems;
    }

    public override string ToString() =>
        $"{Path.GetFileName(Page)}: {Formulas} formulas ({FirstScreenDisplays} displayed on the first screen), {Charts.Count} charts ({UndrawnCharts.Count} undrawn), " +
        $"{RawTex.Count} raw TeX, {ExternalRequests.Count} external requests, {MissingFiles.Count} missing files, {ScriptErrors.Count} script errors";
}

/// <summary>
/// Headless Chromium driven over the DevTools protocol (a WebSocket), so a test can read the page a reader sees (its
/// text, its typeset formulas, its drawn charts) and every request it makes. Chromium runs with name resolution
/// and a proxy that lead nowhere, so nothing can leave the machine even if a page tries; the tests see the attempt.
/// </summary>
public sealed partial class DevTools : IDisposable
{
    private readonly Process _chromium;
    private readonly Runner.TempDir _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly List<Action<string, JsonObject, string?>> _listeners = [];
    private readonly StringBuilder _log = new();
    private readonly Task _receiving;
    private int _nextId;

    private DevTools(Process chromium, Runner.TempDir profile, Uri endpoint)
    {
        _chromium = chromium;
        _profile = profile;
        if (!_socket.ConnectAsync(endpoint, CancellationToken.None).Wait(TimeSpan.FromSeconds(30)))
            throw new TimeoutException($"could not connect to Chromium's DevTools endpoint {endpoint} within 30 s");
        _receiving = Task.Run(ReceiveAsync);
    }

    public static DevTools Start()
    {
        var profile = Runner.NewOutDir("chromium-devtools");
        var start = new ProcessStartInfo(Browser.Path ?? throw new InvalidOperationException("no browser"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--disable-extensions", "--mute-audio",
                     // Nothing leaves: every host name fails to resolve and every proxied request goes to a closed port.
                     "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                     "--allow-file-access-from-files",
                     $"--user-data-dir={profile.Path}", "--remote-debugging-port=0", "--window-size=1200,900", "about:blank",
                 })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m) listening.TrySetResult(new Uri(m.Groups["url"].Value));
        };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        if (!listening.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            profile.Dispose();
            lock (log) throw new InvalidOperationException($"Chromium did not open its DevTools endpoint within 60 s:\n{log}");
        }
        try
        {
            return new DevTools(process, profile, listening.Task.Result);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            profile.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="page"/> in a new tab, waits until its fonts are loaded and its charts drawn (at most <paramref name="settle"/>), and reports what it shows.</summary>
    public PageView View(string page, TimeSpan? settle = null) => ViewAsync(page, settle ?? TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();

    /// <summary>Screenshots the first screen (<paramref name="width"/>×<paramref name="height"/>) of <paramref name="page"/> once it is drawn.</summary>
    public string Screenshot(string page, string png, int width = 1200, int height = 900) =>
        ScreenshotAsync(page, png, width, height).GetAwaiter().GetResult();

    private async Task<PageView> ViewAsync(string page, TimeSpan settle)
    {
        await using var tab = await OpenAsync(page, 1200, 900);
        var result = await SendAsync("Runtime.evaluate", new
        {
            expression = Inspect.Replace("SETTLE_MS", ((int)settle.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            awaitPromise = true,
            returnByValue = true,
        }, tab.Session, TimeSpan.FromSeconds(settle.TotalSeconds + 30));
        if (result["exceptionDetails"] is { } thrown) throw new InvalidOperationException($"the inspection script failed on {page}: {thrown.ToJsonString()}");
        var value = result["result"]!["value"]!.AsObject();
        static string[] Strings(JsonNode? node) => node!.AsArray().Select(n => (string)n!).ToArray();
        return new PageView(page, Strings(value["rawTex"]), (int)value["formulas"]!, (int)value["firstScreenDisplays"]!, (bool)value["katexStyled"]!, (bool)value["katexFonts"]!,
            Strings(value["charts"]), Strings(value["undrawn"]),
            tab.Requests.Where(u => !Local(u)).Distinct().ToArray(),
            tab.Failed.Where(Local).Distinct().ToArray(),
            tab.Errors.ToArray());
    }

    private async Task<string> ScreenshotAsync(string page, string png, int width, int height)
    {
        await using var tab = await OpenAsync(page, width, height);
        await SendAsync("Runtime.evaluate", new { expression = Inspect.Replace("SETTLE_MS", "20000", StringComparison.Ordinal), awaitPromise = true, returnByValue = true }, tab.Session, TimeSpan.FromSeconds(60));
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png" }, tab.Session);
        File.WriteAllBytes(png, Convert.FromBase64String((string)shot["data"]!));
        return png;
    }

    private static bool Local(string url) =>
        url.StartsWith("file:", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal) ||
        url.StartsWith("blob:", StringComparison.Ordinal) || url.StartsWith("about:", StringComparison.Ordinal);

    /// <summary>A tab on one page, with the requests, failed loads and script errors it produced.</summary>
    private sealed class Tab(DevTools devTools, string targetId, string session) : IAsyncDisposable
    {
        public string Session => session;
        public ConcurrentQueue<string> Requests { get; } = new();
        public ConcurrentQueue<string> Failed { get; } = new();
        public ConcurrentQueue<string> Errors { get; } = new();
        public ConcurrentDictionary<string, string> Urls { get; } = new();
        public TaskCompletionSource Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Action<string, JsonObject, string?>? Listener { get; set; }

        public async ValueTask DisposeAsync()
        {
            lock (devTools._listeners) devTools._listeners.Remove(Listener!);
            await devTools.SendAsync("Target.closeTarget", new { targetId });
        }
    }

    private async Task<Tab> OpenAsync(string page, int width, int height)
    {
        string targetId = (string)(await SendAsync("Target.createTarget", new { url = "about:blank" }))["targetId"]!;
        string session = (string)(await SendAsync("Target.attachToTarget", new { targetId, flatten = true }))["sessionId"]!;
        var tab = new Tab(this, targetId, session);
        tab.Listener = (method, args, from) =>
        {
            if (from != session) return;
            switch (method)
            {
                case "Network.requestWillBeSent":
                    string url = (string)args["request"]!["url"]!;
                    tab.Requests.Enqueue(url);
                    tab.Urls[(string)args["requestId"]!] = url;
                    break;
                case "Network.loadingFailed":
                    string id = (string)args["requestId"]!;
                    tab.Failed.Enqueue($"{tab.Urls.GetValueOrDefault(id, id)} ({(string?)args["errorText"]})");
                    break;
                case "Runtime.exceptionThrown":
                    var details = args["exceptionDetails"]!;
                    tab.Errors.Enqueue((string?)details["exception"]?["description"] ?? (string?)details["text"] ?? details.ToJsonString());
                    break;
                case "Page.loadEventFired":
                    tab.Loaded.TrySetResult();
                    break;
            }
        };
        lock (_listeners) _listeners.Add(tab.Listener);
        foreach (string domain in new[] { "Page", "Network", "Runtime" })
            await SendAsync($"{domain}.enable", new { }, session);
        await SendAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false }, session);
        await SendAsync("Page.navigate", new { url = new Uri(page).AbsoluteUri }, session);
        await tab.Loaded.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return tab;
    }

    private async Task<JsonObject> SendAsync(string method, object parameters, string? session = null, TimeSpan? timeout = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = JsonSerializer.SerializeToNode(parameters) };
        if (session is not null) message["sessionId"] = session;
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _sending.WaitAsync();
        try { await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None); }
        finally { _sending.Release(); }
        try
        {
            return await reply.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            lock (_log) throw new TimeoutException($"Chromium did not answer {method}; its log:\n{_log}");
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (_socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult received;
            try { received = await _socket.ReceiveAsync(buffer, CancellationToken.None); }
            catch (WebSocketException) { break; }
            if (received.MessageType == WebSocketMessageType.Close) break;
            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage) continue;
            var json = JsonNode.Parse(message.ToArray())!.AsObject();
            message.SetLength(0);
            if (json["id"] is { } id && _pending.TryRemove((int)id, out var reply))
            {
                if (json["error"] is { } error) reply.TrySetException(new InvalidOperationException($"DevTools error: {error.ToJsonString()}"));
                else reply.TrySetResult(json["result"]?.AsObject() ?? []);
            }
            else if (json["method"] is { } method)
            {
                Action<string, JsonObject, string?>[] listeners;
                lock (_listeners) listeners = [.. _listeners];
                foreach (var listener in listeners)
                    listener((string)method!, json["params"]?.AsObject() ?? [], (string?)json["sessionId"]);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).Wait(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is WebSocketException or AggregateException) { }
        _socket.Dispose();
        try { _receiving.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }   // a broken connection ends the receive loop; nothing left to report
        if (!_chromium.HasExited) _chromium.Kill(entireProcessTree: true);
        _chromium.WaitForExit(10_000);
        _chromium.Dispose();
        _profile.Dispose();
    }

    [GeneratedRegex(@"DevTools listening on (?<url>ws://\S+)")]
    private static partial Regex Listening();

    /// <summary>
    /// Runs in the page: waits for fonts and charts (polling until every chart is drawn or SETTLE_MS pass), then
    /// returns what a reader sees. Text inside code, preformatted output, typeset math and SVG is not prose.
    /// </summary>
    private const string Inspect = """
        (async () => {
          const notProse = 'pre, code, script, style, .katex, svg';
          const tex = /\$|\\\(|\\\[|\\[A-Za-z]+/;
          function rawTex() {
            const found = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node; (node = walker.nextNode());) {
              const parent = node.parentElement;
              if (!parent || parent.closest(notProse)) continue;
              const text = node.textContent, m = text.match(tex);
              if (m) found.push(text.slice(Math.max(0, m.index - 30), m.index + 50).replace(/\s+/g, ' ').trim());
            }
            return found;
          }
          function chartIds() {
            const ids = new Set();
            for (const s of document.scripts)
              for (const m of s.textContent.matchAll(/newPlot\(\s*(?:document\.getElementById\(\s*)?['"]([^'"]+)['"]/g)) ids.add(m[1]);
            return [...ids];
          }
          // A chart's plot area is drawn when plotly.js made its SVG and every subplot's plot layer holds drawn traces.
          function undrawn(id) {
            const el = document.getElementById(id);
            if (!el) return id + ': no element with this id';
            const svg = el.querySelector('svg.main-svg');
            if (!svg) return id + ': plotly.js drew nothing';
            const box = svg.getBoundingClientRect();
            if (box.width < 100 || box.height < 100) return id + `: the chart is ${box.width}×${box.height} px`;
            const plots = el.querySelectorAll('.cartesianlayer .subplot > .plot');
            for (const plot of plots) {
              const b = plot.getBBox();
              if (!(b.width > 0 && b.height > 0)) return id + ': a plot area is empty';
            }
            if (plots.length === 0 && el.querySelectorAll('.trace, .slice, .gl-container canvas').length === 0) return id + ': no traces';
            return null;
          }
          await document.fonts.ready;
          const deadline = Date.now() + SETTLE_MS;
          let ids = chartIds(), missing = ids.map(undrawn).filter(x => x);
          while (missing.length > 0 && Date.now() < deadline) {
            await new Promise(r => setTimeout(r, 200));
            missing = ids.map(undrawn).filter(x => x);
          }
          await document.fonts.ready;
          const mathml = document.querySelector('.katex .katex-mathml');
          return {
            rawTex: rawTex(),
            formulas: document.querySelectorAll('.katex').length,
            firstScreenDisplays: [...document.querySelectorAll('.katex-display')].filter(d => d.getBoundingClientRect().bottom <= innerHeight).length,
            katexStyled: mathml !== null && getComputedStyle(mathml).position === 'absolute',
            katexFonts: [...document.fonts].some(f => f.family.replace(/"/g, '') === 'KaTeX_Main' && f.status === 'loaded'),
            charts: ids,
            undrawn: missing,
          };
        })()
        """;
}

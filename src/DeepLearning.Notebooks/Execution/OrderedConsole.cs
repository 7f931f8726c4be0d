using System.Text;

namespace DeepLearning.Notebooks.Execution;

/// <summary>
/// The console of a run whose notebooks overlap: each notebook writes to its own <see cref="Slot"/>, and the lines
/// reach the console in course order — the first unfinished notebook's live, a later one's held until every earlier
/// notebook has finished — so the output reads as if the notebooks had run one after another. A notebook's lines
/// show only once it is <see cref="Open"/> (its turn came): a worker started ahead and stopped unrun shows nothing.
/// </summary>
internal sealed class OrderedConsole(TextWriter console, int count)
{
    private readonly List<string>?[] _held = new List<string>?[count];
    private readonly bool[] _closed = new bool[count], _open = new bool[count];
    private readonly Lock _gate = new();
    private int _head;

    /// <summary>Notebook <paramref name="index"/>'s writer; whole lines are what count (thread-safe).</summary>
    public TextWriter Slot(int index) => new SlotWriter(this, index);

    /// <summary>Notebook <paramref name="index"/> runs: its lines may show (once every earlier notebook is closed).</summary>
    public void Open(int index)
    {
        lock (_gate)
        {
            _open[index] = true;
            if (index == _head) Release(index);
        }
    }

    /// <summary>Notebook <paramref name="index"/> has written its last line (or never runs): the next one's lines follow.</summary>
    public void Close(int index)
    {
        lock (_gate)
        {
            _closed[index] = true;
            while (_head < count && _closed[_head])
            {
                _head++;
                if (_head < count && _open[_head]) Release(_head);
            }
        }
    }

    private void Release(int index)
    {
        foreach (string line in _held[index] ?? []) console.WriteLine(line);
        _held[index] = null;
    }

    /// <summary>Drops what notebook <paramref name="index"/> wrote and has not been shown (it did not run after all).</summary>
    public void Discard(int index)
    {
        lock (_gate) _held[index] = null;
    }

    private void Line(int index, string line)
    {
        lock (_gate)
        {
            if (index < _head || (index == _head && _open[index])) console.WriteLine(line);
            else (_held[index] ??= []).Add(line);
        }
    }

    private sealed class SlotWriter(OrderedConsole owner, int index) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    owner.Line(index, _line.ToString().TrimEnd('\r'));
                    _line.Clear();
                }
                else _line.Append(value);
            }
        }

        // One line at once, so lines written from two threads (a worker's stdout and stderr) never mix.
        public override void WriteLine(string? value)
        {
            lock (_line)
            {
                _line.Append(value);
                owner.Line(index, _line.ToString());
                _line.Clear();
            }
        }

        public override void WriteLine() => WriteLine((string?)null);
    }
}

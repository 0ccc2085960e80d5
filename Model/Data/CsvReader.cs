using System.IO.Compression;
using System.Text;

namespace CartRecovery.Model.Data;

/// <summary>
/// RFC 4180 reader (quoted fields, doubled quotes, line breaks inside quotes, LF or CRLF).
/// Files ending in .gz are decompressed on the fly so the shared event logs can be read as they are.
/// </summary>
internal sealed class CsvReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly StringBuilder _field = new();
    private readonly List<string> _fields = new();
    private int _line;

    public CsvReader(string path)
    {
        Path = path;
        Stream stream;
        try
        {
            stream = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException($"{path}: cannot open: {e.Message}", e);
        }

        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        _reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    public string Path { get; }

    /// <summary>1-based line number where the last returned record started.</summary>
    public int RecordLine { get; private set; }

    /// <summary>Next record, skipping blank lines; null at end of file.</summary>
    public string[]? ReadRecord()
    {
        while (true)
        {
            string? line;
            try
            {
                line = _reader.ReadLine();
            }
            catch (InvalidDataException e)
            {
                throw new DataFormatException($"{Path}: not a valid gzip file: {e.Message}", e);
            }

            if (line is null)
            {
                return null;
            }

            _line++;
            if (line.Length == 0)
            {
                continue;
            }

            RecordLine = _line;
            return Split(line);
        }
    }

    private string[] Split(string line)
    {
        _fields.Clear();
        _field.Clear();
        var inQuotes = false;
        var i = 0;
        while (true)
        {
            if (i == line.Length)
            {
                if (!inQuotes)
                {
                    break;
                }

                // A quoted field continues on the next physical line.
                var next = _reader.ReadLine() ?? throw new DataFormatException($"{Path}: line {RecordLine}: quoted field is not closed before end of file");
                _line++;
                _field.Append('\n');
                line = next;
                i = 0;
                continue;
            }

            var c = line[i++];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i < line.Length && line[i] == '"')
                    {
                        _field.Append('"');
                        i++;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    _field.Append(c);
                }
            }
            else if (c == ',')
            {
                _fields.Add(_field.ToString());
                _field.Clear();
            }
            else if (c == '"' && _field.Length == 0)
            {
                inQuotes = true;
            }
            else
            {
                _field.Append(c);
            }
        }

        _fields.Add(_field.ToString());
        return _fields.ToArray();
    }

    public void Dispose() => _reader.Dispose();
}

using System.IO.Compression;
using CsvHelper;

namespace CartRecovery.Model.Data;

/// <summary>
/// Records of a CSV file with a header row, read by CsvHelper (RFC 4180: quoted fields, doubled quotes, line
/// breaks inside quotes, LF or CRLF). Files ending in .gz are decompressed on the fly so the shared event logs
/// can be read as they are. Every CsvHelper or I/O failure becomes a <see cref="DataFormatException"/> naming the file.
/// </summary>
internal sealed class CsvRecords : IDisposable
{
    private static readonly CsvReaderOptions Options = new()
    {
        HasHeader = false,
        Separator = ',',
        SkipEmptyLines = true,
        AllowLineBreaksInQuotes = true,
        TrackLineNumbers = true,
        TrimWhitespace = false,
        MalformedData = CsvMalformedDataHandling.Throw,

        // Width is checked here, so the message can name the row, the line and both counts.
        FieldCountMismatch = CsvFieldCountHandling.Allow,
    };

    private readonly CsvReader _reader;

    private CsvRecords(string path, CsvReader reader, string[] header)
    {
        Path = path;
        _reader = reader;
        Header = header;
    }

    public string Path { get; }

    /// <summary>Column names, trimmed; unique and non-empty.</summary>
    public string[] Header { get; }

    /// <summary>1-based number of the last data row returned (the header is row 0).</summary>
    public int Row { get; private set; }

    /// <summary>1-based line where the last returned record starts.</summary>
    public long Line { get; private set; }

    public static CsvRecords Open(string path)
    {
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

        var reader = CsvReader.Create(stream, Options, false);
        try
        {
            var header = Next(reader, path) ?? throw new DataFormatException($"{path}: file is empty (no header row)");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                header[i] = header[i].Trim();
                if (header[i].Length == 0)
                {
                    throw new DataFormatException($"{path}: header column {i + 1} has no name");
                }

                if (!seen.Add(header[i]))
                {
                    throw new DataFormatException($"{path}: header names column '{header[i]}' twice");
                }
            }

            return new CsvRecords(path, reader, header);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Position of a column, or a <see cref="DataFormatException"/> listing the columns there are.</summary>
    public int RequireColumn(string name, string role) =>
        Array.IndexOf(Header, name) is >= 0 and var i ? i
        : throw new DataFormatException($"{Path}: {role} '{name}' not found (columns: {string.Join(", ", Header)})");

    /// <summary>The next record with exactly as many fields as the header, or null at the end of the file.</summary>
    public string[]? Read()
    {
        var record = Next(_reader, Path);
        if (record is null)
        {
            return null;
        }

        Row++;
        Line = _reader.LineNumber;
        if (record.Length != Header.Length)
        {
            throw new DataFormatException($"{Path}: row {Row} (line {Line}) has {record.Length} fields, header has {Header.Length}");
        }

        return record;
    }

    public void Dispose() => _reader.Dispose();

    private static string[]? Next(CsvReader reader, string path)
    {
        try
        {
            return reader.Read() ? reader.Current.ToArray() : null;
        }
        catch (CsvFormatException e)
        {
            throw new DataFormatException($"{path}: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: not a valid gzip file: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new DataFormatException($"{path}: cannot read: {e.Message}", e);
        }
    }
}

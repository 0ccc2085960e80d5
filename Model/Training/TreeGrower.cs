using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Training;

/// <summary>
/// Grows one tree level by level (XGBoost's depthwise policy) over histograms. Rows of each open node are
/// a contiguous range of <see cref="Rows"/>, re-partitioned stably at each split. Work is split into blocks
/// whose count depends only on the data, and block results are combined in block order, so the tree is
/// bit-for-bit the same whatever the thread count or scheduling.
/// </summary>
internal sealed class TreeGrower
{
    private const int HistogramBlockRows = 8192;
    private const int PartitionBlockRows = 16384;
    private const int MaxBlocks = 32;

    private readonly BinnedMatrix _m;
    private readonly GbdtOptions _o;
    private readonly ParallelOptions _parallel;
    private readonly int[] _scratch;
    private readonly int[] _gather;
    private readonly Stack<double[]> _pool = new();

    public TreeGrower(BinnedMatrix m, GbdtOptions options, ParallelOptions parallel)
    {
        _m = m;
        _o = options;
        _parallel = parallel;
        Rows = new int[m.Rows];
        _scratch = new int[m.Rows];
        _gather = new int[m.Rows];
    }

    /// <summary>The caller writes the sampled row indices (ascending) here before <see cref="Grow"/>.</summary>
    public int[] Rows { get; }

    public GrownTree Grow(float[] gradients, int sampleCount, int[] features)
    {
        var t = new TreeBuilder();
        var root = new Open(t.Add(), 0, sampleCount);
        BuildHistograms([root], gradients, features);
        var at = 2 * _m.Offsets[features[0]];
        for (var c = 0; c <= _m.Cuts[features[0]].Length; c++)
        {
            root.G += root.Hist![at + (2 * c)];
            root.H += root.Hist![at + (2 * c) + 1];
        }

        var leaves = new List<(int, int, int)>();
        var open = new List<Open> { root };
        for (var depth = 0; depth < _o.MaxDepth && open.Count > 0; depth++)
        {
            var splits = new SplitCandidate[open.Count];
            Parallel.For(0, open.Count, _parallel, i => splits[i] = SplitFinder.Find(open[i].Hist!, _m, features, open[i].G, open[i].H, _o));

            var splitting = new List<(Open Node, SplitCandidate Split)>();
            for (var i = 0; i < open.Count; i++)
            {
                if (splits[i].Feature < 0)
                {
                    MakeLeaf(t, open[i], leaves);
                    Return(open[i].Hist);
                }
                else
                {
                    splitting.Add((open[i], splits[i]));
                }
            }

            var leftCounts = Partition(splitting);
            var children = new List<Open>(2 * splitting.Count);
            var smaller = new List<Open>(splitting.Count);
            for (var i = 0; i < splitting.Count; i++)
            {
                var (p, s) = splitting[i];
                var threshold = s.Code < _m.Cuts[s.Feature].Length ? _m.Cuts[s.Feature][s.Code - 1] : float.MaxValue;
                var (leftId, rightId) = t.Split(p.Id, s.Feature, threshold, s.Code, s.DefaultLeft, (float)s.Gain, (float)p.H);
                var left = new Open(leftId, p.Start, leftCounts[i]) { G = s.LeftG, H = s.LeftH };
                var right = new Open(rightId, p.Start + leftCounts[i], p.Count - leftCounts[i]) { G = p.G - s.LeftG, H = p.H - s.LeftH };
                children.Add(left);
                children.Add(right);
                smaller.Add(left.Count <= right.Count ? left : right);
            }

            if (depth + 1 < _o.MaxDepth)
            {
                BuildHistograms(smaller, gradients, features);
                for (var i = 0; i < splitting.Count; i++)
                {
                    var (small, large) = children[2 * i].Hist is not null ? (children[2 * i], children[(2 * i) + 1]) : (children[(2 * i) + 1], children[2 * i]);
                    large.Hist = Rent();
                    Histogram.Subtract(splitting[i].Node.Hist!, small.Hist!, large.Hist);
                }
            }

            foreach (var (p, _) in splitting)
            {
                Return(p.Hist);
            }

            open = children;
        }

        foreach (var o in open)
        {
            MakeLeaf(t, o, leaves);
            Return(o.Hist);
        }

        return new GrownTree(t.ToTree(), t.Codes.ToArray(), leaves);
    }

    private void MakeLeaf(TreeBuilder t, Open node, List<(int, int, int)> leaves)
    {
        var weight = -node.G / (node.H + _o.Lambda) * _o.LearningRate;
        t.SetLeaf(node.Id, (float)weight, (float)node.H);
        leaves.Add((node.Id, node.Start, node.Count));
    }

    private void BuildHistograms(List<Open> nodes, float[] gradients, int[] features)
    {
        var items = new List<(Open Node, int Start, int Count, double[] Buffer, double[]? Odd)>();
        foreach (var node in nodes)
        {
            node.Hist = Rent();
            var blocks = Math.Clamp((node.Count + HistogramBlockRows - 1) / HistogramBlockRows, 1, MaxBlocks);
            var size = (node.Count + blocks - 1) / blocks;
            for (var b = 0; b < blocks; b++)
            {
                var start = b * size;
                var count = Math.Max(0, Math.Min(size, node.Count - start));

                // A second copy pays only when rows far outnumber bins (clearing and folding it costs a pass over it).
                var odd = count >= 2 * _m.TotalBins ? Rent() : null;
                items.Add((node, start, count, b == 0 ? node.Hist : Rent(), odd));
            }
        }

        Parallel.For(0, items.Count, _parallel, i =>
        {
            var (node, start, count, buffer, odd) = items[i];
            Array.Clear(buffer);
            if (odd is not null)
            {
                Array.Clear(odd);
            }

            Histogram.Accumulate(Rows.AsSpan(node.Start + start, count), _m, gradients, features, buffer, odd);
        });

        foreach (var (node, _, _, buffer, odd) in items)
        {
            Return(odd);
            if (!ReferenceEquals(buffer, node.Hist))
            {
                Histogram.Add(node.Hist!, buffer);
                Return(buffer);
            }
        }
    }

    /// <summary>
    /// Stable partition of every splitting node's rows at once. Each block reads the split feature once per
    /// row, compacting left rows in place and spilling right rows to scratch; the blocks' pieces are then
    /// moved to their final places with plain copies.
    /// </summary>
    private int[] Partition(List<(Open Node, SplitCandidate Split)> splitting)
    {
        var items = new List<(int Owner, int Start, int Count)>();
        for (var i = 0; i < splitting.Count; i++)
        {
            var n = splitting[i].Node;
            var blocks = Math.Clamp((n.Count + PartitionBlockRows - 1) / PartitionBlockRows, 1, MaxBlocks);
            var size = (n.Count + blocks - 1) / blocks;
            for (var b = 0; b < blocks; b++)
            {
                var start = n.Start + (b * size);
                items.Add((i, start, Math.Max(0, Math.Min(size, n.Start + n.Count - start))));
            }
        }

        var lefts = new int[items.Count];
        Parallel.For(0, items.Count, _parallel, i =>
        {
            var (owner, start, count) = items[i];
            var s = splitting[owner].Split;
            var column = _m.ColumnCodes[s.Feature];
            var code = s.Code;
            var missingLeft = s.DefaultLeft;
            var rows = Rows.AsSpan(start, count);
            var spill = _scratch.AsSpan(start, count);
            int l = 0, r = 0;
            var missingGoesLeft = missingLeft ? 1 : 0;

            // Branch-free: the direction is data-dependent and unpredictable, so write both places and advance one.
            // Writing rows[l] in place is safe because l never passes k.
            for (var k = 0; k < rows.Length; k++)
            {
                var row = rows[k];
                int c = column[row];
                var left = c == 0 ? missingGoesLeft : (c <= code ? 1 : 0);
                rows[l] = row;
                spill[r] = row;
                l += left;
                r += 1 - left;
            }

            lefts[i] = l;
        });

        var leftTotal = new int[splitting.Count];
        var leftBase = new int[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            leftBase[i] = leftTotal[items[i].Owner];
            leftTotal[items[i].Owner] += lefts[i];
        }

        var rightSoFar = new int[splitting.Count];
        var rightBase = new int[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var owner = items[i].Owner;
            rightBase[i] = leftTotal[owner] + rightSoFar[owner];
            rightSoFar[owner] += items[i].Count - lefts[i];
        }

        // Gather into the second buffer (sources and targets of different blocks overlap in Rows), then copy back.
        Parallel.For(0, items.Count, _parallel, i =>
        {
            var (owner, start, count) = items[i];
            var nodeStart = splitting[owner].Node.Start;
            Array.Copy(Rows, start, _gather, nodeStart + leftBase[i], lefts[i]);
            Array.Copy(_scratch, start, _gather, nodeStart + rightBase[i], count - lefts[i]);
        });
        Parallel.For(0, items.Count, _parallel, i => Array.Copy(_gather, items[i].Start, Rows, items[i].Start, items[i].Count));
        return leftTotal;
    }

    private double[] Rent() => _pool.Count > 0 ? _pool.Pop() : new double[2 * _m.TotalBins];

    private void Return(double[]? buffer)
    {
        if (buffer is not null)
        {
            _pool.Push(buffer);
        }
    }

    private sealed class Open(int id, int start, int count)
    {
        public int Id { get; } = id;

        public int Start { get; } = start;

        public int Count { get; } = count;

        public double G { get; set; }

        public double H { get; set; }

        public double[]? Hist { get; set; }
    }
}

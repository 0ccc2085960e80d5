using System.Runtime.InteropServices;
using CartRecovery.Streaming.Kafka.Mock;
using CartRecovery.Tools.MockKafka;

ToolArguments arguments;
try
{
    arguments = ToolArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(ToolArguments.Usage);
    return 2;
}

using var cluster = MockKafkaCluster.Start(arguments.Brokers);
foreach (var (name, partitions) in arguments.Topics)
{
    cluster.CreateTopic(name, partitions);
    Console.Error.WriteLine($"created topic {name} with {partitions} partitions");
}

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

// Handled signals must not kill the process outright: the cluster has to be destroyed so ports are released cleanly.
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
if (arguments.WatchStdin)
{
    // A parent that dies without signalling closes our stdin; that is how orphaned clusters get cleaned up.
    new Thread(() =>
    {
        while (Console.In.ReadLine() is not null)
        {
        }

        stop.TrySetResult();
    }) { IsBackground = true, Name = "stdin-watch" }.Start();
}

// Parents read this line to connect; it must come first and be flushed before anything else happens.
Console.Out.WriteLine("BOOTSTRAP=" + cluster.BootstrapServers);
Console.Out.Flush();

await stop.Task;
Console.Error.WriteLine("mock cluster stopping");
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}

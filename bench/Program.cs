using CartRecovery.Bench.Infrastructure;

return await ScenarioRunner.RunAsync(args);

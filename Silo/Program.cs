using CartRecovery.Silo;

return await SiloCommandLine.RunAsync(args);

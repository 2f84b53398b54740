using OrleansDetect.Silo;

return await SiloApp.RunAsync(args);

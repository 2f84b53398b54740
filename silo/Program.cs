using OrleansDetect.Silo;

SiloApp.Create(args).Run();

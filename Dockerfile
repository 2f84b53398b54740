# The silo image: build with the SDK, run on the ASP.NET runtime as a non-root user.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props OrleansDetect.sln ./
COPY grains/ grains/
COPY silo/ silo/
COPY client/ client/
RUN dotnet publish silo/OrleansDetect.Silo.csproj -c Release -o /app/silo \
 && dotnet publish client/OrleansDetect.Client.csproj -c Release -o /app/client

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS silo
WORKDIR /app
COPY --from=build /app/silo ./
COPY deploy/silo-entrypoint.sh /usr/local/bin/silo-entrypoint.sh
# The aspnet image ships an unprivileged 'app' user (uid 1654).
USER app
ENV ASPNETCORE_URLS=http://+:8080 \
    Orleans__Endpoints__SiloPort=11111 \
    Orleans__Endpoints__GatewayPort=30000
EXPOSE 8080 11111 30000
ENTRYPOINT ["/bin/sh", "/usr/local/bin/silo-entrypoint.sh"]

# The load generator: the same CLI as `dotnet run --project client`.
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS client
WORKDIR /app
COPY --from=build /app/client ./
USER app
ENTRYPOINT ["dotnet", "orleansdetect.dll"]

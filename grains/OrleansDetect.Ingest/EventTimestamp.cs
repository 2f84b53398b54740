using System.Buffers.Text;

namespace OrleansDetect.Ingest;

internal enum TimestampStatus : byte
{
    Ok,
    Invalid,
    NoOffset,
    BeforeEpoch,
    LooksLikeMilliseconds,
}

/// <summary>Turns the wire forms of <c>ts</c> into Unix milliseconds without allocating.</summary>
internal static class EventTimestamp
{
    // Unix seconds this large (year 5138) are far likelier milliseconds sent by mistake than real event times.
    private const long MaxUnixSeconds = 100_000_000_000;

    /// <summary>
    /// Parses an RFC 3339 date-time (<c>2026-11-28T04:47:57.123Z</c>, <c>…+02:00</c>); digits beyond
    /// milliseconds are truncated. An offset is required: a bare local time would land events in the wrong window.
    /// </summary>
    public static TimestampStatus ParseRfc3339(ReadOnlySpan<byte> text, out long unixMs)
    {
        unixMs = 0;
        if (text.Length < 19
            || !TryDigits(text, 0, 4, out var year) || text[4] != '-'
            || !TryDigits(text, 5, 2, out var month) || text[7] != '-'
            || !TryDigits(text, 8, 2, out var day)
            || text[10] is not ((byte)'T' or (byte)'t' or (byte)' ')
            || !TryDigits(text, 11, 2, out var hour) || text[13] != ':'
            || !TryDigits(text, 14, 2, out var minute) || text[16] != ':'
            || !TryDigits(text, 17, 2, out var second))
        {
            return TimestampStatus.Invalid;
        }

        // RFC 3339 allows a leap second (60); it is counted as the next minute's first second.
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month)
            || hour > 23 || minute > 59 || second > 60)
        {
            return TimestampStatus.Invalid;
        }

        var i = 19;
        var millis = 0;
        if (i < text.Length && text[i] == '.')
        {
            var start = ++i;
            while (i < text.Length && IsDigit(text[i]))
            {
                if (i - start < 3)
                {
                    millis = (millis * 10) + (text[i] - '0');
                }

                i++;
            }

            if (i == start)
            {
                return TimestampStatus.Invalid;
            }

            for (var n = i - start; n < 3; n++)
            {
                millis *= 10;
            }
        }

        if (i == text.Length)
        {
            return TimestampStatus.NoOffset;
        }

        var offsetMinutes = 0;
        if (text[i] is (byte)'Z' or (byte)'z')
        {
            i++;
        }
        else if (text[i] is (byte)'+' or (byte)'-')
        {
            if (text.Length - i != 6 || text[i + 3] != ':'
                || !TryDigits(text, i + 1, 2, out var offsetHours) || !TryDigits(text, i + 4, 2, out var offsetMins)
                || offsetHours > 23 || offsetMins > 59)
            {
                return TimestampStatus.Invalid;
            }

            offsetMinutes = (text[i] == '-' ? -1 : 1) * ((offsetHours * 60) + offsetMins);
            i += 6;
        }

        if (i != text.Length)
        {
            return TimestampStatus.Invalid;
        }

        var seconds = (DaysFromCivil(year, month, day) * 86_400L) + (hour * 3600L) + (minute * 60L) + second - (offsetMinutes * 60L);
        unixMs = (seconds * 1000) + millis;
        return unixMs < 0 ? TimestampStatus.BeforeEpoch : TimestampStatus.Ok;
    }

    /// <summary>Parses a JSON number of Unix seconds (fractions allowed; beyond milliseconds truncated).</summary>
    public static TimestampStatus ParseUnixSeconds(ReadOnlySpan<byte> number, out long unixMs)
    {
        unixMs = 0;
        if (number.Length > 0 && number[0] == '-')
        {
            return TimestampStatus.BeforeEpoch;
        }

        // Common form "1764305277.123" parsed exactly; exponents and the like go through double.
        var i = 0;
        long seconds = 0;
        while (i < number.Length && IsDigit(number[i]))
        {
            if (i >= 12)
            {
                return TimestampStatus.LooksLikeMilliseconds;
            }

            seconds = (seconds * 10) + (number[i] - '0');
            i++;
        }

        var millis = 0;
        if (i < number.Length && number[i] == '.')
        {
            var start = ++i;
            while (i < number.Length && IsDigit(number[i]))
            {
                if (i - start < 3)
                {
                    millis = (millis * 10) + (number[i] - '0');
                }

                i++;
            }

            for (var n = i - start; n < 3; n++)
            {
                millis *= 10;
            }
        }

        if (i != number.Length)
        {
            if (!Utf8Parser.TryParse(number, out double value, out var consumed, 'E') || consumed != number.Length || !double.IsFinite(value))
            {
                return TimestampStatus.Invalid;
            }

            if (value < 0)
            {
                return TimestampStatus.BeforeEpoch;
            }

            if (value >= MaxUnixSeconds)
            {
                return TimestampStatus.LooksLikeMilliseconds;
            }

            // Round to microseconds first so 0.123 stored as 0.12299999 still yields 123 ms.
            var micros = (long)Math.Round(value * 1_000_000);
            unixMs = micros / 1000;
            return TimestampStatus.Ok;
        }

        if (seconds >= MaxUnixSeconds)
        {
            return TimestampStatus.LooksLikeMilliseconds;
        }

        unixMs = (seconds * 1000) + millis;
        return TimestampStatus.Ok;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool TryDigits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!IsDigit(text[i]))
            {
                return false;
            }

            value = (value * 10) + (text[i] - '0');
        }

        return true;
    }

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (the well-known days-from-civil computation).</summary>
    private static long DaysFromCivil(int year, int month, int day)
    {
        var y = month <= 2 ? year - 1 : year;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yearOfEra = y - (era * 400);
        var dayOfYear = ((153 * (month > 2 ? month - 3 : month + 9)) + 2) / 5 + day - 1;
        var dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146_097L) + dayOfEra - 719_468;
    }
}

// Reading a password: one line from piped stdin, or typed at a terminal without echo.
import { CliError, type CliIo } from './command.js';

/** The first line of a non-terminal stdin (without its line ending). */
export async function readLine(stdin: CliIo['stdin']): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.includes('\n')) break;
  }
  const newline = text.indexOf('\n');
  if (newline === -1 && text === '') throw new CliError('no password on stdin (give it as one line)', 1);
  return (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, '');
}

/** Asks at the terminal with echo off; Ctrl-C cancels. */
export function promptHidden(io: CliIo, question: string): Promise<string> {
  const { stdin, stderr } = io;
  if (!stdin.setRawMode) throw new CliError('stdin is a terminal without raw mode; pipe the password instead', 1);
  // Echo off before the question appears: input typed (or pasted) right after it must not be shown.
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return (finish(), resolve(value));
        if (ch === '\u0003' || ch === '\u0004') return (finish(), reject(new CliError('cancelled', 130)));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** A new password: from piped stdin (one line), or typed twice at the terminal. */
export async function readNewPassword(io: CliIo): Promise<string> {
  if (!io.stdin.isTTY) return readLine(io.stdin);
  const first = await promptHidden(io, 'Password: ');
  const second = await promptHidden(io, 'Repeat password: ');
  if (first !== second) throw new CliError('the passwords do not match', 1);
  return first;
}

import * as vscode from 'vscode';
import { Commands } from '../../shared/src/commands';
import type { NotificationMap } from '../../shared/src/protocol';

/** One status bar item: what the server indexed, and whether anything is wrong. */
export class SlayerStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('slayer.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'SLayer';
    this.item.command = Commands.showOutput;
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.item.text = '$(sync~spin) SLayer';
    this.item.tooltip = 'SLayer language server is starting';
  }

  private restricted = !vscode.workspace.isTrusted;
  private last: NotificationMap['slayer/indexed'] | undefined;

  indexed(info: NotificationMap['slayer/indexed']): void {
    this.last = info;
    const problems = info.errors > 0 ? `$(error) ${info.errors}` : '$(check)';
    this.item.text = `${this.restricted ? '$(shield) ' : ''}SLayer ${problems}`;
    const summary = `${info.files} SLayer files in ${info.roots} storage root(s), ${info.errors} errors, ${info.warnings} warnings (indexed in ${info.millis} ms)`;
    this.item.tooltip = this.restricted
      ? `Restricted Mode: this workspace is not trusted, so queries, live hovers and cache write-back are off; checking, completion, navigation and formatting work. ${summary}`
      : summary;
  }

  /** Trust was granted: data features come back without a reload. */
  trusted(): void {
    this.restricted = false;
    if (this.last) this.indexed(this.last);
  }

  failed(message: string): void {
    this.item.text = '$(warning) SLayer';
    this.item.tooltip = `SLayer language server failed: ${message}`;
  }

  dispose(): void {
    this.item.dispose();
  }
}

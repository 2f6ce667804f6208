import { Module } from '@nestjs/common';
import { CecClient } from './cec.client';
import { CecController } from './cec.controller';
import { CecService } from './cec.service';

/** AICC CC-Management mobile agent: softphones and call state (tokenByAkSk bearer tokens). */
@Module({ controllers: [CecController], providers: [CecClient, CecService] })
export class CecModule {}
